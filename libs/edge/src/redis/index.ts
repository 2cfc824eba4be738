/** Redis: REDIS_URL parsing and the shared ioredis client. */
export { createRedisClient, reconnectDelay, type RedisClient, type RedisClientOptions } from './redis-client';
export { parseRedisUrl, describeRedisTarget, type RedisTarget, type RedisHost } from './redis-url';
