/**
 * Creates the one ioredis client a service shares (rate limits, API keys, cache): fail-fast settings per
 * docs/edge-defaults.md "Rate limiting", reconnects forever, logs each connect/disconnect transition once. What to do when a command fails is the caller's call.
 */
import type * as IORedis from 'ioredis';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { EdgeConfig } from '../config';
import type { EdgeLogger } from '../state';
import { describeRedisTarget, parseRedisUrl } from './redis-url';

/** A connected ioredis client: one server, a Sentinel-managed primary, or a Cluster. */
export type RedisClient = Redis | Cluster;

/** Tuning for createRedisClient; the defaults suit production. */
export interface RedisClientOptions {
  /** TCP connect timeout; default 1000 ms. */
  connectTimeoutMs?: number;
  /** Cap of the reconnect backoff; default 2000 ms. */
  maxReconnectDelayMs?: number;
  /** Name in log lines and CLIENT LIST; default "portico". */
  connectionName?: string;
}

/** Reconnect delay for attempt `times`: 50 ms doubling up to `cap`, never giving up (Redis coming back is picked up without a restart). */
export function reconnectDelay(times: number, cap: number): number {
  return Math.min(cap, 50 * 2 ** Math.min(Math.max(times - 1, 0), 16));
}

/**
 * Opens a client for `config.url` (redis://, rediss://, redis+sentinel://, redis+cluster://). Commands fail at once
 * while disconnected (no offline queue), are retried at most once and time out after `config.commandTimeoutMs`.
 */
export function createRedisClient(config: NonNullable<EdgeConfig['redis']>, logger: EdgeLogger, options: RedisClientOptions = {}): RedisClient {
  // Loaded here, not on import: ioredis holds ~1.6 MiB of heap, which a service without REDIS_URL never needs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ioredis = require('ioredis') as typeof IORedis;
  const target = parseRedisUrl(config.url);
  const connectTimeout = options.connectTimeoutMs ?? 1000;
  const cap = options.maxReconnectDelayMs ?? 2000;
  const retry = (times: number): number => reconnectDelay(times, cap);
  const common: RedisOptions = {
    connectionName: options.connectionName ?? 'portico',
    connectTimeout,
    commandTimeout: config.commandTimeoutMs,
    // A rate-limit check must not wait for a reconnect: fail now, let the caller fail open or closed.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
  let client: RedisClient;
  if (target.kind === 'cluster') {
    client = new ioredis.Cluster(target.nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: retry,
      slotsRefreshTimeout: connectTimeout,
      // Node connections must keep ioredis's lazyConnect: the cluster's ready check only uses nodes that are
      // ready or still waiting, and with the offline queue off a node caught mid-connect fails that check forever.
      redisOptions: { ...common, lazyConnect: undefined },
    });
  } else if (target.kind === 'sentinel') {
    client = new ioredis.Redis({
      ...common,
      sentinels: target.sentinels,
      name: target.masterName,
      db: target.db,
      retryStrategy: retry,
      sentinelRetryStrategy: retry,
      sentinelCommandTimeout: connectTimeout,
    });
  } else {
    client = new ioredis.Redis({ ...common, host: target.host, port: target.port, db: target.db, retryStrategy: retry });
  }
  watchConnection(client, describeRedisTarget(config.url), logger);
  return client;
}

// ioredis emits an error per failed reconnect attempt; operators need one line when the link goes down and one when it is back.
function watchConnection(client: RedisClient, where: string, logger: EdgeLogger): void {
  let state: 'starting' | 'up' | 'down' = 'starting';
  client.on('ready', () => {
    if (state !== 'up') logger.info({ redis: where }, 'redis connected');
    state = 'up';
  });
  client.on('error', (err: Error & { code?: string }) => {
    if (state === 'starting') logger.warn({ redis: where, err: err.code ?? err.message }, 'redis unreachable; retrying in the background');
    if (state !== 'up') state = 'down';
  });
  client.on('close', () => {
    if (state === 'up') logger.warn({ redis: where }, 'redis connection lost; reconnecting');
    if (state === 'up') state = 'down';
  });
  client.on('end', () => logger.info({ redis: where }, 'redis client closed'));
}
