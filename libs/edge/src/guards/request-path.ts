/**
 * Validates the raw request target before anything routes on it (docs/edge-defaults.md "Paths and headers").
 * Normalising dot segments and slashes is the routing map's job; this only refuses what must never reach it.
 */
import { EdgeError } from '../errors';

// Encoded separators and NUL let a path mean one thing to Portico and another to the upstream
// (`/orders%2F..%2Fadmin`), so they are refused rather than decoded.
const ENCODED_FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/%2f/i, 'an encoded slash (%2F)'],
  [/%5c/i, 'an encoded backslash (%5C)'],
  [/%00/, 'an encoded NUL (%00)'],
];
const BAD_PERCENT = /%(?![0-9a-f]{2})/i;
// RFC 3986 §2: a request target is visible ASCII; anything else was let through by a lenient parser.
const NOT_VISIBLE_ASCII = /[^\x21-\x7e]/;
// C0 and C1 controls and DEL, after percent-decoding.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

function invalid(detail: string): EdgeError {
  return new EdgeError('INVALID_PATH', { detail });
}

/** The path part of a raw request target (origin-form or absolute-form, RFC 9112 §3.2), still percent-encoded. */
export function rawPathOf(target: string): string | undefined {
  let rest = target;
  if (!rest.startsWith('/')) {
    const authority = ABSOLUTE_FORM.exec(rest);
    if (!authority) return undefined;
    rest = rest.slice(authority[0].length) || '/';
  }
  const end = rest.search(/[?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

/** Throws INVALID_PATH unless the request target's path is safe to normalise, route and forward. */
export function checkRequestPath(target: string): void {
  // OPTIONS * (asterisk-form) has no path to check.
  if (target === '*') return;
  const path = rawPathOf(target);
  if (path === undefined) throw invalid('the request target must be a path such as /orders/123');
  if (NOT_VISIBLE_ASCII.test(path)) throw invalid('the path contains characters that must be percent-encoded');
  if (path.includes('\\')) throw invalid('the path contains a backslash');
  for (const [pattern, what] of ENCODED_FORBIDDEN) {
    if (pattern.test(path)) throw invalid(`the path contains ${what}`);
  }
  if (BAD_PERCENT.test(path)) throw invalid('the path contains a "%" that is not followed by two hex digits');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw invalid('the path does not decode to valid UTF-8');
  }
  if (CONTROL.test(decoded)) throw invalid('the path contains control characters once decoded');
}
