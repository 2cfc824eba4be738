/**
 * EdgeRuntime: the long-lived objects of one Portico process, created once at start-up from validated config —
 * logger, metrics, readiness, the Redis client (or none), the event bus — and the shutdown hooks that close them.
 * Serving HTTP is serve.ts's job; BFF wiring is @portico/gateway's.
 */
import type { DestinationStream, Logger } from 'pino';
import type { z } from 'zod';
import { loadConfig, type EdgeConfig, type LoadConfigOptions } from '../config';
import { MemoryEventBus, RedisEventBus, type EventBus } from '../events';
import { Readiness, redisCheck } from '../health';
import { createLogger } from '../logging';
import { createMetrics, type EdgeMetrics } from '../metrics';
import { createRedisClient, describeRedisTarget, type RedisClient } from '../redis';
import { shutdownTelemetry } from '../telemetry';
import type { Redis } from 'ioredis';

/** A shutdown step registered before the server exists; run last-registered first. */
export interface PendingHook {
  name: string;
  fn: () => unknown;
}

/** Everything long-lived a Portico process shares, created once and passed down as deps. */
export interface EdgeRuntime<Extra = Record<string, never>> {
  edge: EdgeConfig;
  extra: Extra;
  logger: Logger;
  metrics: EdgeMetrics;
  readiness: Readiness;
  /** The one Redis client, when REDIS_URL is set. */
  redis?: RedisClient;
  /** Redis pub/sub with REDIS_URL, else in-process. */
  bus: EventBus;
  /** Registers a step to run on shutdown, after in-flight requests finish. */
  onShutdown(name: string, fn: () => unknown): void;
  /** Registered steps, in registration order. */
  readonly hooks: readonly PendingHook[];
}

/** How the runtime is built beyond config. */
export interface EdgeRuntimeOptions {
  /** Where log lines go (default stdout); tests capture them. */
  logDestination?: DestinationStream;
}

/**
 * Validates config (throws ConfigError) and creates the shared objects. Without REDIS_URL it logs, once, that
 * rate limits, caches and events are per process.
 */
export function createEdgeRuntime<Extra extends z.ZodRawShape = Record<never, never>>(
  options: LoadConfigOptions<Extra>,
  env: NodeJS.ProcessEnv = process.env,
  runtimeOptions: EdgeRuntimeOptions = {},
): EdgeRuntime<z.output<z.ZodObject<Extra>>> {
  const { edge, extra } = loadConfig(options, env);
  const logger = createLogger({ serviceName: edge.service.name, level: edge.log.level }, runtimeOptions.logDestination);
  const metrics = createMetrics({ serviceName: edge.service.name });
  const readiness = new Readiness({ logger });
  const hooks: PendingHook[] = [];
  const onShutdown = (name: string, fn: () => unknown) => void hooks.push({ name, fn });

  // Registered first so they run last: telemetry flushes after everything else has finished logging spans.
  onShutdown('telemetry', () => shutdownTelemetry());
  let redis: RedisClient | undefined;
  let bus: EventBus;
  if (edge.redis) {
    const client = createRedisClient(edge.redis, logger);
    redis = client;
    readiness.register('redis', redisCheck(client));
    onShutdown('redis', () => client.quit().catch(() => client.disconnect()));
    bus = new RedisEventBus(client as Redis, { logger, prefix: `${edge.redis.keyPrefix}events:` });
    logger.info({ redis: describeRedisTarget(edge.redis.url) }, 'redis configured: rate limits, caches and events are shared by all replicas');
  } else {
    bus = new MemoryEventBus();
    logger.warn({}, 'no REDIS_URL: rate limits, caches and events are PER PROCESS (each replica enforces limits on its own)');
  }
  onShutdown('event bus', () => bus.close());
  return { edge, extra, logger, metrics, readiness, redis, bus, onShutdown, hooks };
}
