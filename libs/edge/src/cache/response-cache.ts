/**
 * responseCache: answers GET/HEAD from a CacheStore (X-Cache: HIT) or runs the route and stores a cacheable 200
 * (X-Cache: MISS); concurrent identical misses share one downstream call. EDGE-DEFAULTS "Caching".
 * A store failure is a miss and never fails the request. Key rules live in cache-key, storability in cacheability.
 */
import type { Middleware, Next } from 'koa';
import type { EdgeContext, EdgeLogger, EdgeState } from '../state';
import { runInTraceContext } from '../telemetry';
import { cacheKey, hasCredentials, keyInput, strippedHeaders, stripUnkeyed } from './cache-key';
import { headersToStore, storableTtl, upstreamAgeMs } from './cacheability';
import { captureBody } from './body-capture';
import type { CachePolicy } from './policy';
import type { CacheEntry, CacheStore } from './store';

/** Collaborators for responseCache, created once at start-up. */
export interface ResponseCacheDeps {
  /** Where entries live; one store is shared by every cached route. */
  store: CacheStore;
  /** Process logger for store failures (rate-limited to one line per 10 s per store). */
  logger: EdgeLogger;
  /** The route id, for logs. */
  routeId: string;
  /** Called on every store failure, e.g. to count it in a metric. */
  onStoreFailure?: (operation: 'get' | 'set', err: unknown) => void;
  /** Clock in epoch ms; tests may replace it. */
  now?: () => number;
}

const WARN_INTERVAL_MS = 10_000;
// Per store, not per route: one Redis outage logs one line per interval however many routes are cached.
const lastWarnedAt = new WeakMap<CacheStore, number>();

function serve(ctx: EdgeContext, entry: CacheEntry, now: number): void {
  for (const [name, value] of Object.entries(entry.headers)) ctx.set(name, value);
  ctx.status = entry.status;
  // Headers first: Koa only guesses a Content-Type for a Buffer body when none is set.
  ctx.body = entry.body;
  ctx.set('Age', String(Math.max(0, Math.floor((now - entry.storedAt) / 1000))));
  ctx.set('X-Cache', 'HIT');
  ctx.state.cache = 'HIT';
}

/**
 * Caches the route's GET/HEAD 200 responses per `policy`. Sets ctx.state.cache: HIT (answered from the store or from
 * a concurrent identical request), MISS (the route ran), BYPASS (not cacheable: other methods, unverified credentials).
 * A client's `Cache-Control: no-cache` does not bypass the cache: clients must not be able to force upstream load.
 */
export function responseCache(policy: CachePolicy, deps: ResponseCacheDeps): Middleware<EdgeState> {
  const now = deps.now ?? Date.now;
  // Misses being answered right now, by key; the promise settles with the entry, or undefined when there is none.
  const inFlight = new Map<string, Promise<CacheEntry | undefined>>();

  function storeFailed(operation: 'get' | 'set', err: unknown): void {
    deps.onStoreFailure?.(operation, err);
    const at = now();
    const last = lastWarnedAt.get(deps.store);
    if (last !== undefined && at - last < WARN_INTERVAL_MS) return;
    lastWarnedAt.set(deps.store, at);
    deps.logger.warn({ err, routeId: deps.routeId, operation }, 'response cache store failed; answering without it');
  }

  // Store calls run in the request's trace context, so a Redis store's spans join its trace.
  async function lookup(ctx: EdgeContext, key: string): Promise<{ entry?: CacheEntry; storeUsable: boolean }> {
    try {
      return { entry: await runInTraceContext(ctx.state.trace, () => deps.store.get(key)), storeUsable: true };
    } catch (err) {
      storeFailed('get', err);
      return { storeUsable: false };
    }
  }

  /** Runs the route, then stores what it answered when allowed; `share` hands the entry to waiting followers first. */
  async function runAndStore(ctx: EdgeContext, next: Next, key: string, storeUsable: boolean, share: (entry: CacheEntry | undefined) => void): Promise<void> {
    const unkeyed = strippedHeaders(policy, ctx.app.proxy);
    stripUnkeyed(ctx, policy);
    ctx.state.cache = 'MISS';
    const before = { ...ctx.response.headers };
    await next();
    ctx.set('X-Cache', 'MISS');
    const ttl = storableTtl(ctx, policy, unkeyed);
    if (ttl === undefined) return share(undefined);
    const body = await captureBody(ctx, policy.maxBodySize);
    if (body === undefined) return share(undefined);
    const entry: CacheEntry = { status: ctx.status, headers: headersToStore(ctx, before), body, storedAt: now() - upstreamAgeMs(ctx) };
    share(entry);
    if (!storeUsable) return;
    try {
      await runInTraceContext(ctx.state.trace, () => deps.store.set(key, entry, ttl));
    } catch (err) {
      storeFailed('set', err);
    }
  }

  async function passThrough(ctx: EdgeContext, next: Next): Promise<void> {
    ctx.state.cache = 'MISS';
    await next();
    ctx.set('X-Cache', 'MISS');
  }

  return async function responseCache(ctx, next) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.state.cache = 'BYPASS';
      return next();
    }
    const input = keyInput(ctx);
    // Credentials that auth did not verify cannot be keyed per principal, so such a request is never cached.
    if (!policy.public && hasCredentials(input) && !input.principal) {
      ctx.state.cache = 'BYPASS';
      return next();
    }
    const key = cacheKey(input, policy);

    let storeUsable = true;
    let leaderCall = inFlight.get(key);
    if (!leaderCall) {
      const found = await lookup(ctx, key);
      if (found.entry) return serve(ctx, found.entry, now());
      storeUsable = found.storeUsable;
      leaderCall = inFlight.get(key);
    }
    if (leaderCall) {
      // A follower: answered like a hit, since it never reached the upstream.
      const shared = await leaderCall;
      if (shared) return serve(ctx, shared, now());
    }
    // HEAD has no body to store, so it never leads; it only reads GET's entry.
    if (ctx.method === 'HEAD') return passThrough(ctx, next);
    // The leader's answer was not cacheable (or failed): this request runs on its own, without leading others.
    if (leaderCall) return runAndStore(ctx, next, key, storeUsable, () => {});

    let settle: (entry: CacheEntry | undefined) => void = () => {};
    const call = new Promise<CacheEntry | undefined>((resolve) => (settle = resolve));
    inFlight.set(key, call);
    try {
      await runAndStore(ctx, next, key, storeUsable, settle);
    } finally {
      settle(undefined); // no-op once settled; frees followers when the route threw
      inFlight.delete(key);
    }
  };
}
