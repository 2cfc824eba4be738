/**
 * Rate-limit middleware: per route (`rateLimit`) and per service (`globalRateLimit`), with IETF RateLimit headers,
 * 429 + Retry-After, and fail-open / fail-closed when the store cannot answer. Counting is the store's job.
 */
import type { Middleware } from 'koa';
import { EdgeError } from '../errors';
import { runInTraceContext } from '../telemetry';
import type { EdgeContext, EdgeLogger, EdgeState } from '../state';
import { quotaFor, rateLimitIdentity, type RateLimitPolicy } from './rate-limit-policy';
import type { RateLimitDecision, RateLimitStore } from './store';

/** Collaborators of the rate-limit middleware, created once at start-up. */
export interface RateLimitDeps {
  /** The shared store (Redis), or the in-process one when no REDIS_URL is set. */
  store: RateLimitStore;
  /** Decides while `store` fails and the policy fails open; usually a MemoryRateLimitStore. */
  fallback: RateLimitStore;
  logger: EdgeLogger;
  /** Replicas sharing the limit: the fail-open fallback admits limit / expectedReplicas per process. */
  expectedReplicas: number;
  routeId: string;
  serviceName: string;
  /** Called on every store failure (timeout, disconnected, script error) so metrics can count it without an import. */
  onStoreFailure?: (routeId: string) => void;
}

const WARN_INTERVAL_MS = 10_000;

interface Limiter {
  scope: string;
  name: string;
  key: NonNullable<RateLimitPolicy['key']>;
  label: string;
}

/** Limits one route: `policy.limit` requests per `policy.per` for each caller (see RateLimitPolicy.key). */
export function rateLimit(policy: RateLimitPolicy, deps: RateLimitDeps): Middleware<EdgeState> {
  const check = limiter(policy, deps, { scope: `${deps.serviceName}:${deps.routeId}`, name: policy.name ?? deps.routeId, key: policy.key ?? 'principal', label: deps.routeId });
  return function rateLimit(ctx, next) {
    return check(ctx).then(() => next());
  };
}

/** Limits the whole service across all routes; by default one count for all callers (`key: global`). */
export function globalRateLimit(policy: RateLimitPolicy, deps: Omit<RateLimitDeps, 'routeId'> & { routeId?: string }): Middleware<EdgeState> {
  const routeId = deps.routeId ?? 'global';
  const check = limiter(policy, { ...deps, routeId }, { scope: `${deps.serviceName}:*`, name: policy.name ?? 'global', key: policy.key ?? 'global', label: routeId });
  return function globalRateLimit(ctx, next) {
    return check(ctx).then(() => next());
  };
}

function limiter(policy: RateLimitPolicy, deps: RateLimitDeps, limits: Limiter): (ctx: EdgeContext) => Promise<void> {
  let lastWarnAt = -Infinity;
  const warnOnce = (ctx: EdgeContext, err: unknown): void => {
    deps.onStoreFailure?.(limits.label);
    const now = Date.now();
    if (now - lastWarnAt < WARN_INTERVAL_MS) return;
    lastWarnAt = now;
    const mode = policy.onStoreFailure === 'open' ? 'failing open to a per-process limit' : 'failing closed with 503';
    (ctx.state.log ?? deps.logger).warn({ route: limits.label, policy: limits.name, err: (err as Error)?.message ?? String(err) }, `rate-limit store unavailable; ${mode}`);
  };

  return async function check(ctx) {
    const { limit, windowMs } = quotaFor(policy, ctx.state.principal);
    const key = `${limits.scope}:${windowMs / 1000}s:${rateLimitIdentity(ctx, limits.key)}`;
    let decision: RateLimitDecision;
    let storeFailure = false;
    try {
      // In the request's trace context, so the store's Redis span joins its trace.
      decision = await runInTraceContext(ctx.state.trace, () => deps.store.decide(key, limit, windowMs));
    } catch (err) {
      storeFailure = true;
      warnOnce(ctx, err);
      if (policy.onStoreFailure === 'closed') {
        throw new EdgeError('RATE_LIMIT_UNAVAILABLE', { detail: 'Rate limiting is temporarily unavailable; retry shortly', headers: { 'Retry-After': '1' }, cause: err });
      }
      // Each replica enforces its share, so the fleet as a whole stays near the configured limit.
      decision = await deps.fallback.decide(key, Math.max(1, Math.ceil(limit / Math.max(1, deps.expectedReplicas))), windowMs);
    }
    writeHeaders(ctx, limits.name, decision, windowMs);
    const previous = ctx.state.rateLimit;
    if (!previous || !decision.allowed || (previous.allowed && decision.remaining < previous.remaining)) {
      ctx.state.rateLimit = { policy: limits.name, allowed: decision.allowed, remaining: decision.remaining, ...(storeFailure ? { storeFailure } : {}) };
    }
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      throw new EdgeError('RATE_LIMITED', {
        detail: `Rate limit "${limits.name}" of ${decision.limit} requests per ${windowMs / 1000} s exceeded; retry in ${seconds} s`,
        headers: { 'Retry-After': String(seconds) },
      });
    }
  };
}

// draft-ietf-httpapi-ratelimit-headers: both fields are Structured-Field lists, so a global and a route policy append.
function writeHeaders(ctx: EdgeContext, name: string, decision: RateLimitDecision, windowMs: number): void {
  ctx.append('RateLimit-Policy', `"${name}";q=${decision.limit};w=${windowMs / 1000}`);
  ctx.append('RateLimit', `"${name}";r=${decision.remaining};t=${Math.ceil(decision.resetMs / 1000)}`);
}
