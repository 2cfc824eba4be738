/**
 * The long-lived collaborators createBff shares with every route: Redis (when REDIS_URL is set) or in-process stores,
 * upstream pools and readiness checks, created once at start-up and closed once at shutdown.
 */
import {
  createRateLimitStores,
  createRedisClient,
  injectTraceContext,
  MemoryCacheStore,
  MemoryRateLimitStore,
  RedisCacheStore,
  redisCheck,
  type Authenticator,
  type EdgeConfig,
  type EdgeLogger,
  type EdgeMetrics,
  type Readiness,
  type UpstreamOutcome,
} from '@portico/edge';
import { createUpstreams, type Upstreams } from './clients/upstreams';
import type { PolicyChainDeps } from './router/policy-chain';
import { upstreamDefinitions } from './routing-map/upstream-env';

/** What createBffServices needs. */
export interface BffServicesInput {
  config: EdgeConfig;
  logger: EdgeLogger;
  metrics: EdgeMetrics;
  readiness: Readiness;
  authenticator: Authenticator;
  /** Upstream names → URL variable, from createBff's options. */
  named: Readonly<Record<string, string>>;
  /** Every variable the routing map mentions. */
  mapVariables: readonly string[];
  /** Their values, as loadConfig read them. */
  routeEnv: Readonly<Record<string, string | undefined>>;
}

/** The shared collaborators and how to release them. */
export interface BffServices {
  upstreams: Upstreams;
  policy: PolicyChainDeps;
  close(): Promise<void>;
}

// The clients layer reports finer outcomes than the metric's label set; fold them into it.
function metricOutcome(outcome: string): UpstreamOutcome {
  if (outcome === 'ok' || outcome === 'client_error') return 'ok';
  if (outcome === 'timeout') return 'timeout';
  if (outcome === 'circuit_open') return 'circuit_open';
  if (outcome === 'bulkhead_full') return 'bulkhead';
  return 'error';
}

/** Creates Redis (or in-process stores), the upstream pools and the readiness checks for one BFF. */
export function createBffServices(input: BffServicesInput): BffServices {
  const { config, logger, metrics, readiness, authenticator } = input;
  const redis = config.redis ? createRedisClient(config.redis, logger) : undefined;
  let rateLimitStores: { store: MemoryRateLimitStore | ReturnType<typeof createRateLimitStores>['store']; fallback: MemoryRateLimitStore };
  let cacheStore: MemoryCacheStore | RedisCacheStore;
  if (config.redis && redis) {
    rateLimitStores = createRateLimitStores(config, { redis, logger });
    cacheStore = new RedisCacheStore({ redis, keyPrefix: config.redis.keyPrefix });
    readiness.register('redis', redisCheck(redis));
  } else {
    // One line, so nobody mistakes per-replica limits for fleet-wide ones.
    logger.warn({ expectedReplicas: config.expectedReplicas }, 'no REDIS_URL: rate limits and cache are per process');
    rateLimitStores = { store: new MemoryRateLimitStore(), fallback: new MemoryRateLimitStore() };
    cacheStore = new MemoryCacheStore();
  }
  if (authenticator.jwks || authenticator.apiKeys) readiness.register('auth', () => authenticator.isReady());

  const upstreams = createUpstreams(upstreamDefinitions(input.named, input.mapVariables, input.routeEnv), {
    logger,
    metrics: {
      recordUpstream: (upstream, operation, outcome, seconds) =>
        metrics.recordUpstream({ upstream, operation, outcome: metricOutcome(outcome) }, seconds * 1000),
    },
    injectHeaders: (headers) => void injectTraceContext(headers),
  });

  let closed: Promise<void> | undefined;
  return {
    upstreams,
    policy: {
      authenticator,
      rateLimit: { ...rateLimitStores, logger, expectedReplicas: config.expectedReplicas, serviceName: config.service.name },
      cache: { store: cacheStore, logger },
    },
    close() {
      closed ??= (async () => {
        await upstreams.close();
        await authenticator.close();
        if (redis) await redis.quit().catch(() => redis.disconnect());
      })();
      return closed;
    },
  };
}
