/**
 * Path patterns (`/orders/:orderId`, `/files/*rest`) parsed once, and upstream paths built from them with every
 * parameter re-encoded. Matching a request against many patterns is router/route-matcher.ts's job.
 */
import { encodeSegment } from './normalise-path';

/** One segment of a parsed path pattern. */
export type PatternSegment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  /** A trailing catch-all: one or more remaining segments. */
  | { kind: 'rest'; name: string };

const LITERAL = /^[A-Za-z0-9\-._~]+$/;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Parses a pattern or returns a message saying what is wrong with it (for zod refinements). */
export function parsePattern(pattern: string): PatternSegment[] | string {
  if (!pattern.startsWith('/')) return `expected a path beginning with "/", got "${pattern}"`;
  if (pattern === '/') return [];
  if (pattern.endsWith('/')) return `expected no trailing "/", got "${pattern}"`;
  const segments: PatternSegment[] = [];
  const names = new Set<string>();
  const parts = pattern.slice(1).split('/');
  for (const [index, part] of parts.entries()) {
    if (part === '') return `expected no empty segment ("//"), got "${pattern}"`;
    const sigil = part[0];
    if (sigil === ':' || sigil === '*') {
      const name = part.slice(1);
      if (!NAME.test(name)) return `expected a parameter name like ":orderId", got "${part}"`;
      if (names.has(name)) return `parameter "${name}" appears twice in "${pattern}"`;
      if (sigil === '*' && index !== parts.length - 1) return `a catch-all "${part}" must be the last segment of "${pattern}"`;
      names.add(name);
      segments.push(sigil === ':' ? { kind: 'param', name } : { kind: 'rest', name });
      continue;
    }
    if (part === '.' || part === '..' || !LITERAL.test(part)) {
      return `expected segments of letters, digits, "-", ".", "_", "~" or parameters, got "${part}" in "${pattern}"`;
    }
    segments.push({ kind: 'literal', value: part });
  }
  return segments;
}

/** The parameter names a pattern declares, in order. */
export function parameterNames(segments: readonly PatternSegment[]): string[] {
  return segments.flatMap((s) => (s.kind === 'literal' ? [] : [s.name]));
}

/** A pattern's shape with parameter names erased, so `/orders/:id` and `/orders/:orderId` compare equal. */
export function patternShape(segments: readonly PatternSegment[]): string {
  return `/${segments.map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? ':' : '*')).join('/')}`;
}

/**
 * Builds a path from a pattern and decoded parameter values. Each value is encoded with encodeURIComponent,
 * so it cannot add a "/" or a dot segment; a catch-all value is encoded segment by segment.
 */
export function buildPath(segments: readonly PatternSegment[], params: Readonly<Record<string, string>>): string {
  let path = '';
  for (const segment of segments) {
    if (segment.kind === 'literal') {
      path += `/${segment.value}`;
    } else if (segment.kind === 'param') {
      path += `/${encodeSegment(params[segment.name] ?? '')}`;
    } else {
      path += `/${(params[segment.name] ?? '').split('/').map(encodeSegment).join('/')}`;
    }
  }
  return path || '/';
}
