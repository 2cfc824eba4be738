/** Rate limiting: policy schema, stores (Redis, in-process) and the middleware. */
export { rateLimit, globalRateLimit, type RateLimitDeps } from './rate-limit';
export { rateLimitPolicySchema, quotaFor, rateLimitIdentity, type RateLimitPolicy } from './rate-limit-policy';
export { RateLimitStoreError, type RateLimitStore, type RateLimitDecision } from './store';
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-store';
export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory-store';
export { createRateLimitStores, type RateLimitStores } from './create-stores';
export { decideWindow, SLIDING_WINDOW_LUA, type WindowState, type WindowVerdict } from './sliding-window';
