/**
 * What selects a cache entry (EDGE-DEFAULTS "Caching"): method + host + normalised path + sorted allow-listed query +
 * the route's Vary headers + the verified principal unless the route is public; and stripping what is not keyed.
 * Path normalisation is the gateway's job; ctx.path arrives normalised.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EdgeContext, Principal } from '../state';
import type { CachePolicy } from './policy';

/** The request facts a cache key is built from. */
export interface CacheKeyInput {
  method: string;
  host: string;
  path: string;
  querystring: string;
  headers: IncomingHttpHeaders;
  principal?: Principal;
}

// Request headers that carry credentials. A request with one but no verified principal cannot be keyed safely.
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'cookie'] as const;

// Client headers that can change an upstream answer without being part of the key (cache poisoning, RFC 9111 §4.1):
// removed before the upstream call unless the route lists them in `vary`. Accept-Encoding goes too, so the upstream
// answers uncompressed bytes every client can read; conditional and range headers go so the upstream answers a full 200.
const UNKEYED_HEADERS = [
  'accept-encoding',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'range',
  'if-range',
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-forwarded-server',
  'x-host',
] as const;

/** The facts of `ctx` a key is built from; `host` is Koa's (X-Forwarded-Host only when the app trusts proxies). */
export function keyInput(ctx: EdgeContext): CacheKeyInput {
  return {
    method: ctx.method,
    host: ctx.host,
    path: ctx.path,
    querystring: ctx.querystring,
    headers: ctx.request.headers,
    principal: ctx.state.principal,
  };
}

/** True when the request carries a verified principal or any credential header. */
export function hasCredentials(input: CacheKeyInput): boolean {
  return input.principal !== undefined || CREDENTIAL_HEADERS.some((name) => input.headers[name] !== undefined);
}

/** Query pairs kept by the allow-list (all when absent), sorted by name with repeated names in request order. */
export function selectQuery(querystring: string, allow: readonly string[] | undefined): { pairs: Array<[string, string]>; dropped: boolean } {
  const all = [...new URLSearchParams(querystring)];
  const pairs = allow ? all.filter(([name]) => allow.includes(name)) : all;
  // Array.prototype.sort is stable, so `?a=2&a=1` keeps its meaning.
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { pairs, dropped: pairs.length !== all.length };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The store key for a request: a sha256 over every keyed fact, so keys are fixed-length and reveal nothing. */
export function cacheKey(input: CacheKeyInput, policy: CachePolicy): string {
  // HEAD is answered from the GET entry (RFC 9110 §9.3.2: same headers, no body).
  const method = input.method === 'HEAD' ? 'GET' : input.method;
  const query = selectQuery(input.querystring, policy.query).pairs;
  const vary = policy.vary.map((name) => [name, headerValue(input.headers, name)]);
  const principal = policy.public || !input.principal ? null : [input.principal.issuer, input.principal.subject];
  const material = JSON.stringify(['v1', method, input.host.toLowerCase(), input.path, query, vary, principal]);
  return createHash('sha256').update(material).digest('hex');
}

/** Header names stripUnkeyed removes for `policy`: the unkeyed set minus what the route varies on. */
export function strippedHeaders(policy: CachePolicy, trustProxy: boolean): string[] {
  const names: string[] = UNKEYED_HEADERS.filter((name) => !policy.vary.includes(name));
  // A trusted X-Forwarded-Host is part of ctx.host and so of the key; an untrusted one is not, so it must go.
  if (!trustProxy && !policy.vary.includes('x-forwarded-host')) names.push('x-forwarded-host');
  return names;
}

/** Removes unkeyed headers and non-allow-listed query parameters before the request goes on to the upstream. */
export function stripUnkeyed(ctx: EdgeContext, policy: CachePolicy): void {
  for (const name of strippedHeaders(policy, ctx.app.proxy)) delete ctx.request.headers[name];
  if (policy.query) {
    const { pairs, dropped } = selectQuery(ctx.querystring, policy.query);
    if (dropped) ctx.querystring = new URLSearchParams(pairs).toString();
  }
}
