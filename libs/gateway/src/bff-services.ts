/**
 * The long-lived collaborators a BFF's routes share, built once at start-up on the edge runtime: rate-limit and cache
 * stores (Redis when REDIS_URL is set, else in-process), the authenticator's readiness and the upstream pools.
 */
import {
  BoundedRedis,
  createRateLimitStores,
  clientSpans,
  MemoryCacheStore,
  RedisApiKeyStore,
  RedisCacheStore,
  apiKeyRedisKey,
  type ApiKeyStore,
  type Authenticator,
  type EdgeRuntime,
} from '@portico/edge';
import { createUpstreams, type Upstreams } from './clients/upstreams';
import type { PolicyChainDeps } from './router/policy-chain';
import { upstreamDefinitions } from './routing-map/upstream-env';
import type { SharedUpstreamOverrides } from './clients/upstream-env-policy';

/**
 * Where a BFF's API keys come from: `'file'` (the default) lets the Authenticator read API_KEYS_FILE; `'redis-or-file'`
 * uses Redis hashes under REDIS_KEY_PREFIX (the layout `npm run apikey` writes) when REDIS_URL is set, else the file;
 * a function builds the store itself (undefined: the file).
 */
export type ApiKeySource = 'file' | 'redis-or-file' | ((runtime: EdgeRuntime<unknown>) => ApiKeyStore | undefined);

/** The API key store for `source` on this runtime, or undefined when the Authenticator should read API_KEYS_FILE. */
export function apiKeyStoreFor(source: ApiKeySource | undefined, runtime: EdgeRuntime<unknown>): ApiKeyStore | undefined {
  if (source === undefined || source === 'file') return undefined;
  if (typeof source === 'function') return source(runtime);
  const { edge: config, redis, logger } = runtime;
  if (!config.redis || !redis) return undefined;
  // Said once at start-up: which store answers decides where `npm run apikey` must write.
  logger.info({ keys: apiKeyRedisKey(config.redis.keyPrefix, '<id>') }, 'API keys are read from Redis');
  // Bounded by REDIS_COMMAND_TIMEOUT, which a reply that arrived in time always beats (a late loop is not a Redis outage).
  return new RedisApiKeyStore({ redis: new BoundedRedis(redis, config.redis.commandTimeoutMs), keyPrefix: config.redis.keyPrefix, logger });
}

/** What createBffServices needs. */
export interface BffServicesInput {
  runtime: EdgeRuntime<unknown>;
  authenticator: Authenticator;
  /** Upstream names → URL variable, from createBff's options. */
  named: Readonly<Record<string, string>>;
  /** Every variable the routing map mentions. */
  mapVariables: readonly string[];
  /** Their values, as loadConfig read them. */
  routeEnv: Readonly<Record<string, string | undefined>>;
  /** Overrides for every upstream, from the environment (UPSTREAM_BREAKER_OPEN). */
  policy?: SharedUpstreamOverrides;
}

/** The shared collaborators and how to release them. */
export interface BffServices {
  upstreams: Upstreams;
  policy: PolicyChainDeps;
  close(): Promise<void>;
}

/** Creates the stores, the upstream pools and the auth readiness check for one BFF; closing is registered on the runtime. */
export function createBffServices(input: BffServicesInput): BffServices {
  const { runtime, authenticator } = input;
  const { edge: config, logger, redis } = runtime;
  const rateLimitStores = createRateLimitStores(config, { redis, logger }, { announce: false });
  const cacheStore =
    config.redis && redis ? new RedisCacheStore({ redis: new BoundedRedis(redis, config.redis.commandTimeoutMs), keyPrefix: config.redis.keyPrefix }) : new MemoryCacheStore();
  if (authenticator.jwks || authenticator.apiKeys) runtime.readiness.register('auth', () => authenticator.isReady());

  const found = upstreamDefinitions(input.named, input.mapVariables, input.routeEnv);
  const defs = input.policy ? Object.fromEntries(Object.entries(found).map(([name, def]) => [name, { ...def, policy: input.policy }])) : found;
  const upstreams = createUpstreams(defs, {
    logger,
    metrics: runtime.metrics,
    clientSpans,
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await upstreams.close();
      await authenticator.close();
    })();
    return closed;
  };
  runtime.onShutdown('upstream pools and auth', close);
  return {
    upstreams,
    policy: {
      authenticator,
      rateLimit: { ...rateLimitStores, logger, expectedReplicas: config.expectedReplicas, serviceName: config.service.name },
      cache: { store: cacheStore, logger },
    },
    close,
  };
}
