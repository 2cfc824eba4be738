/** Redis: REDIS_URL parsing, the shared ioredis client, and commands bounded by Portico's own deadline. */
export { createRedisClient, reconnectDelay, type RedisClient, type RedisClientOptions } from './redis-client';
export { parseRedisUrl, describeRedisTarget, type RedisTarget, type RedisHost } from './redis-url';
export { BoundedRedis, RedisTimeoutError } from './bounded-redis';
export { DeadlineQueue, type Deadlined } from './deadline-queue';
export { untimedCommand, type RedisArgument } from './untimed-command';
