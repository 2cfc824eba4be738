/** Cache: per-route response caching for GET/HEAD, on Redis or in process. */
export { cachePolicySchema, DEFAULT_MAX_BODY_SIZE, type CachePolicy } from './policy';
export type { CacheEntry, CacheStore, StoredHeaders } from './store';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './memory-store';
export { RedisCacheStore, type RedisCacheStoreDeps, type CacheRedisClient } from './redis-store';
export { cacheKey, keyInput, type CacheKeyInput } from './cache-key';
export { responseCache, type ResponseCacheDeps } from './response-cache';
