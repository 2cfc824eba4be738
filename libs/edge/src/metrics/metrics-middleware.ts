/**
 * Koa middleware: records every request by route template (never ctx.path), method and status, plus the rate-limit
 * and cache outcomes the route chain left on ctx.state, and serves GET /metrics. The metrics themselves are metrics.ts.
 */
import type { Middleware } from 'koa';
import { toEdgeError } from '../errors';
import type { EdgeContext, EdgeState } from '../state';
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
      record(metrics, ctx, status, failureCode, (performance.now() - started) / 1000);
    }
  };
}

function record(metrics: EdgeMetrics, ctx: EdgeContext, status: number, failureCode: string | undefined, seconds: number): void {
  const route = routeLabel(ctx);
  const method = METHODS.has(ctx.method) ? ctx.method : 'OTHER';
  metrics.httpRequests.inc({ route, method, status: String(status) });
  metrics.httpDuration.observe({ route, method, status_class: `${Math.floor(status / 100)}xx` }, seconds);

  const { rateLimit, cache } = ctx.state;
  if (failureCode === 'RATE_LIMIT_UNAVAILABLE') metrics.rateLimitDecisions.inc({ route, outcome: 'store_failure' });
  else if (rateLimit) metrics.rateLimitDecisions.inc({ route, outcome: rateLimitOutcome(rateLimit) });
  else if (failureCode === 'RATE_LIMITED' || failureCode === 'QUOTA_EXCEEDED') metrics.rateLimitDecisions.inc({ route, outcome: 'limited' });
  if (cache) metrics.cacheLookups.inc({ route, result: CACHE_RESULT[cache] });
}

function routeLabel(ctx: EdgeContext): string {
  const template = ctx.state.route?.template;
  if (template) return template;
  return FIXED_PATHS.has(ctx.path) ? ctx.path : 'unmatched';
}

// A decision made by the per-process fallback while the store is down counts as store_failure whatever it decided.
function rateLimitOutcome(rateLimit: NonNullable<EdgeState['rateLimit']>): 'allowed' | 'limited' | 'store_failure' {
  if (rateLimit.storeFailure) return 'store_failure';
  return rateLimit.allowed ? 'allowed' : 'limited';
}
