/** Picks the rate-limit stores at start-up: Redis when REDIS_URL is set, else in-process (logged as per-process). Creating the Redis client is the caller's job. */
import type { Cluster, Redis } from 'ioredis';
import type { EdgeConfig } from '../config';
import type { EdgeLogger } from '../state';
import { MemoryRateLimitStore } from './memory-store';
import { RedisRateLimitStore } from './redis-store';
import type { RateLimitStore } from './store';

/** The stores a service passes to every rateLimit middleware. */
export interface RateLimitStores {
  /** Shared through Redis, or per process when `shared` is false. */
  store: RateLimitStore;
  /** The fail-open fallback while Redis is unreachable. */
  fallback: MemoryRateLimitStore;
  /** True when limits hold across all replicas. */
  shared: boolean;
}

/** Builds the stores once at start-up; without Redis it warns that each replica enforces the full limit on its own. */
export function createRateLimitStores(
  config: Pick<EdgeConfig, 'redis' | 'expectedReplicas'>,
  deps: { redis?: Redis | Cluster; logger: EdgeLogger },
  options: { announce?: boolean } = {},
): RateLimitStores {
  // A service whose runtime already said where its limits live passes announce: false, so the line appears once.
  const announce = options.announce ?? true;
  const fallback = new MemoryRateLimitStore();
  if (config.redis && deps.redis) {
    const store = new RedisRateLimitStore(deps.redis, { prefix: `${config.redis.keyPrefix}rl:`, timeoutMs: config.redis.commandTimeoutMs });
    if (announce) deps.logger.info({ rateLimitStore: 'redis', commandTimeoutMs: config.redis.commandTimeoutMs }, 'rate limits are shared by all replicas through redis');
    return { store, fallback, shared: true };
  }
  if (announce) deps.logger.warn(
    { rateLimitStore: 'memory', expectedReplicas: config.expectedReplicas },
    'rate limits are PER PROCESS: no REDIS_URL is set, so each replica admits the full limit on its own',
  );
  return { store: new MemoryRateLimitStore(), fallback, shared: false };
}
