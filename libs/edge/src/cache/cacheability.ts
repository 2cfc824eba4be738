/**
 * Which finished responses may be stored, for how long, and which of their headers are replayed
 * (EDGE-DEFAULTS "Caching": 200s only; never private, no-store, no-cache, Set-Cookie, Vary: *, errors or partial answers).
 * Reading the body is body-capture's job.
 */
import { isPartialAnswer, type EdgeContext } from '../state';
import type { CachePolicy } from './policy';
import type { StoredHeaders } from './store';

// Headers that describe one delivery rather than the resource: hop-by-hop (RFC 9110 §7.6.1), ones Node or the
// cache recomputes, and per-request ones set around the cache (request id, rate limit, tracing).
const NEVER_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'date',
  'age',
  'x-cache',
  'set-cookie',
  'x-request-id',
  'traceparent',
  'tracestate',
  'server-timing',
  'ratelimit',
  'ratelimit-policy',
  'retry-after',
]);

/** Cache-Control directives as lower-case name → value (`max-age` → "60", `no-store` → ""). */
export function parseCacheControl(value: string | undefined): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of (value ?? '').split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name)
      directives.set(
        name,
        eq === -1
          ? ''
          : part
              .slice(eq + 1)
              .trim()
              .replace(/^"|"$/g, ''),
      );
  }
  return directives;
}

/** A response header as one string ('' when absent); Koa 3's `response.get` may return numbers or arrays. */
export function responseHeader(ctx: EdgeContext, name: string): string {
  const value: unknown = ctx.response.headers[name.toLowerCase()];
  if (value === undefined || value === null) return '';
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function seconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * How long the response on `ctx` may be stored (ms), or undefined when it must not be.
 * `unkeyed` lists the request headers removed before the upstream call: a Vary on them cannot split responses.
 */
export function storableTtl(ctx: EdgeContext, policy: CachePolicy, unkeyed: readonly string[]): number | undefined {
  if (ctx.status !== 200 || ctx.body === null || ctx.body === undefined) return undefined;
  const header = (name: string) => responseHeader(ctx, name);
  const cc = parseCacheControl(header('cache-control'));
  if (cc.has('no-store') || cc.has('no-cache') || cc.has('private')) return undefined;
  if (header('set-cookie') || isPartialAnswer(ctx)) return undefined;
  // An event stream never ends; buffering it would hold the client forever.
  if (/^text\/event-stream\b/i.test(header('content-type'))) return undefined;
  const encoding = header('content-encoding').toLowerCase();
  if (encoding && encoding !== 'identity' && !policy.vary.includes('accept-encoding')) return undefined;
  // RFC 9111 §4.1: a stored response may only be reused for requests matching every header it varies on.
  const vary = header('vary')
    .toLowerCase()
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (vary.some((name) => name === '*' || !(policy.vary.includes(name) || unkeyed.includes(name)))) return undefined;
  // The route's ttl is an upper bound: an upstream that allows less (RFC 9111 §5.2.2.1, §5.2.2.10) wins.
  const upstreamMaxAge = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  const ageMs = (seconds(header('age')) ?? 0) * 1000;
  const ttl = upstreamMaxAge === undefined ? policy.ttl : Math.min(policy.ttl, upstreamMaxAge * 1000 - ageMs);
  return ttl > 0 ? ttl : undefined;
}

/** Upstream `Age` in ms, so an entry's age on a hit continues from it (RFC 9111 §4.2.3). */
export function upstreamAgeMs(ctx: EdgeContext): number {
  return (seconds(responseHeader(ctx, 'age')) ?? 0) * 1000;
}

/**
 * The headers the route's chain produced, to replay on a hit: those set or changed below the cache
 * (`before` is the header snapshot taken before `next()`), minus per-delivery ones.
 */
export function headersToStore(ctx: EdgeContext, before: Readonly<Record<string, unknown>>): StoredHeaders {
  const stored: StoredHeaders = {};
  for (const [name, value] of Object.entries(ctx.response.headers)) {
    if (value === undefined || NEVER_STORED.has(name)) continue;
    const text = Array.isArray(value) ? value.map(String) : String(value);
    const previous = before[name];
    if (previous !== undefined && JSON.stringify(Array.isArray(previous) ? previous.map(String) : String(previous)) === JSON.stringify(text)) {
      continue;
    }
    stored[name] = text;
  }
  return stored;
}
