/**
 * CORS for browser clients (Fetch standard §3.2, "CORS protocol"): an explicit origin allow-list, preflights answered
 * before routing, and the exact origin echoed (never `*`). Which origins a service trusts is its configuration's say.
 */
import type { Middleware } from 'koa';
import { EdgeError } from '../errors';
import type { EdgeContext, EdgeState } from '../state';
import { parseOrigin } from './origins';

/** Settings of the cors middleware; only `origins` is required. */
export interface CorsOptions {
  /** Browser-app origins allowed to call the service (`https://app.example.com`); `*` is refused. */
  origins: readonly string[];
  /** Methods a preflight may allow (default GET, HEAD, POST, PUT, PATCH, DELETE). */
  methods?: readonly string[];
  /** Request headers a preflight may allow (default Authorization, Content-Type, X-Request-Id, If-None-Match). */
  headers?: readonly string[];
  /** Response headers the browser app may read beyond the CORS-safelisted ones (default: rate-limit headers, X-Request-Id, Location, ETag). */
  exposeHeaders?: readonly string[];
  /** How long a browser may cache a preflight answer, seconds (default 600; browsers cap it at 2 h or 24 h). */
  maxAgeSeconds?: number;
  /** Sends `Access-Control-Allow-Credentials: true` (cookies, TLS client certificates); default false. */
  credentials?: boolean;
}

/** Defaults of CorsOptions, for documentation and tests. */
export const CORS_DEFAULTS = Object.freeze({
  methods: Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
  // If-None-Match and ETag: an app polling with fetch() revalidates its copy itself (routes with policy.etag).
  headers: Object.freeze(['Authorization', 'Content-Type', 'X-Request-Id', 'If-None-Match']),
  // draft-ietf-httpapi-ratelimit-headers and RFC 9110 §10.2.3: what a browser app needs to back off politely.
  exposeHeaders: Object.freeze(['RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id', 'Location', 'ETag']),
  maxAgeSeconds: 600,
  credentials: false,
});

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function tokenList(name: string, values: readonly string[]): string {
  for (const value of values) if (!TOKEN.test(value)) throw new Error(`cors: ${name} entry "${value}" is not an HTTP token`);
  return values.join(', ');
}

/**
 * Builds the CORS middleware once at start-up (invalid options throw here). For an allowed Origin it adds
 * Access-Control-Allow-Origin (that exact origin) and exposes the listed headers; a preflight (OPTIONS with
 * Access-Control-Request-Method) is answered 204 without reaching any route. A disallowed origin gets no CORS header,
 * and its preflight 403 ORIGIN_NOT_ALLOWED.
 */
export function cors(options: CorsOptions): Middleware<EdgeState> {
  const allowed = new Set(
    options.origins.map((origin) => {
      const parsed = parseOrigin(origin);
      if (typeof parsed !== 'string') throw new Error(`cors: ${parsed.problem}`);
      return parsed;
    }),
  );
  const methods = tokenList('methods', (options.methods ?? CORS_DEFAULTS.methods).map((m) => m.toUpperCase()));
  const headers = tokenList('headers', options.headers ?? CORS_DEFAULTS.headers);
  const expose = tokenList('exposeHeaders', options.exposeHeaders ?? CORS_DEFAULTS.exposeHeaders);
  const maxAge = options.maxAgeSeconds ?? CORS_DEFAULTS.maxAgeSeconds;
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new Error('cors: maxAgeSeconds must be a whole number ≥ 0');
  const credentials = options.credentials ?? CORS_DEFAULTS.credentials;

  const allowOrigin = (ctx: EdgeContext, origin: string): void => {
    ctx.set('Access-Control-Allow-Origin', origin);
    if (credentials) ctx.set('Access-Control-Allow-Credentials', 'true');
  };

  return async function cors(ctx, next) {
    const origin = ctx.get('origin');
    const permitted = origin !== '' && allowed.has(origin);
    if (ctx.method === 'OPTIONS' && origin !== '' && ctx.get('access-control-request-method') !== '') {
      // A preflight carries no credentials, so it is answered here, before authentication or any route runs.
      ctx.vary('Origin');
      if (!permitted) throw new EdgeError('ORIGIN_NOT_ALLOWED', { detail: 'this origin may not call the API from a browser' });
      allowOrigin(ctx, origin);
      ctx.set('Access-Control-Allow-Methods', methods);
      if (headers) ctx.set('Access-Control-Allow-Headers', headers);
      ctx.set('Access-Control-Max-Age', String(maxAge));
      ctx.status = 204;
      return;
    }
    try {
      await next();
    } finally {
      // Set after the route ran (and before problem+json renders a failure, which keeps Access-Control-* and Vary):
      // the response cache below must not see `Vary: Origin`, or it would refuse to store a public answer.
      // Fetch §3.2.5 (CORS protocol and HTTP caches): Vary: Origin on every answer, since it differs by Origin.
      ctx.vary('Origin');
      if (permitted) {
        allowOrigin(ctx, origin);
        if (expose) ctx.set('Access-Control-Expose-Headers', expose);
      }
    }
  };
}
