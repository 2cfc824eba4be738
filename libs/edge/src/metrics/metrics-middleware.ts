/**
 * Koa middleware: records every request by route template (never ctx.path), method and status, plus the rate-limit,
 * cache and compression outcomes the route chain left on ctx.state, and serves GET /metrics. The metrics themselves are metrics.ts.
 */
import type { Middleware } from 'koa';
import { toEdgeError } from '../errors';
import type { EdgeState } from '../state';
import type { EdgeMetrics } from './metrics';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

// Anything else becomes OTHER so a client inventing methods cannot create series (RFC 9110 §9 plus PATCH).
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);
// Fixed, unrouted endpoints answered by health/: a bounded set, so they may be their own label value.
const FIXED_PATHS = new Set(['/livez', '/readyz']);
const CACHE_RESULT = { HIT: 'hit', MISS: 'miss', BYPASS: 'bypass' } as const;

/** Koa middleware recording request metrics and answering GET/HEAD /metrics with the Prometheus text format. */
export function metricsMiddleware(metrics: EdgeMetrics): Middleware<EdgeState> {
  return async function requestMetrics(ctx, next) {
    if (ctx.path === METRICS_PATH && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const { contentType, body } = await metrics.scrape();
      ctx.type = contentType;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = body;
      return;
    }
    const started = performance.now();
    metrics.inflight.inc();
    let status = 0;
    let failureCode: string | undefined;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      // The status problem-middleware above will answer with.
      const edgeError = toEdgeError(err);
      status = edgeError.status;
      failureCode = edgeError.code;
      throw err;
    } finally {
      metrics.inflight.dec();
      const { route, rateLimit, cache, compression } = ctx.state;
      recordRequest(metrics, { route: route?.template, path: ctx.path, method: ctx.method, status, failureCode, rateLimit, cache, compression }, (performance.now() - started) / 1000);
    }
  };
}

/** What a finished request is recorded by; the Koa stack and the gateway's direct routes fill it. */
export interface RequestFacts {
  /** The matched route's template; unmatched requests are labelled by fixed path or `unmatched`, never the raw path. */
  route: string | undefined;
  path: string;
  method: string;
  status: number;
  /** The EdgeError code the request failed with, if it did. */
  failureCode?: string;
  rateLimit?: EdgeState['rateLimit'];
  cache?: EdgeState['cache'];
  compression?: EdgeState['compression'];
}

/** Records one finished request: count and duration by route template, method and status, and its rate-limit and cache outcomes. */
export function recordRequest(metrics: EdgeMetrics, facts: RequestFacts, seconds: number): void {
  const route = facts.route ?? (FIXED_PATHS.has(facts.path) ? facts.path : 'unmatched');
  const method = METHODS.has(facts.method) ? facts.method : 'OTHER';
  const { status, failureCode, rateLimit, cache, compression } = facts;
  metrics.httpRequests.inc({ route, method, status: statusText(status) });
  metrics.httpDuration.observe({ route, method, status_class: statusClass(status) }, seconds);

  if (failureCode === 'RATE_LIMIT_UNAVAILABLE') metrics.rateLimitDecisions.inc({ route, outcome: 'store_failure' });
  else if (rateLimit) metrics.rateLimitDecisions.inc({ route, outcome: rateLimitOutcome(rateLimit) });
  else if (failureCode === 'RATE_LIMITED' || failureCode === 'QUOTA_EXCEEDED') metrics.rateLimitDecisions.inc({ route, outcome: 'limited' });
  if (cache) metrics.cacheLookups.inc({ route, result: CACHE_RESULT[cache] });
  if (compression) {
    metrics.compressedResponses.inc({ route, encoding: compression.encoding });
    if (compression.bytesIn !== undefined && compression.bytesOut !== undefined) {
      metrics.compressionBytes.inc({ route, stage: 'in' }, compression.bytesIn);
      metrics.compressionBytes.inc({ route, stage: 'out' }, compression.bytesOut);
    }
  }
}

// Label text of each status and status class, made once rather than per request.
const STATUS_TEXT = Array.from({ length: 600 }, (_, status) => String(status));
const STATUS_CLASS = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? String(status);
}

function statusClass(status: number): string {
  return STATUS_CLASS[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;
}

// A decision made by the per-process fallback while the store is down counts as store_failure whatever it decided.
function rateLimitOutcome(rateLimit: NonNullable<EdgeState['rateLimit']>): 'allowed' | 'limited' | 'store_failure' {
  if (rateLimit.storeFailure) return 'store_failure';
  return rateLimit.allowed ? 'allowed' : 'limited';
}
