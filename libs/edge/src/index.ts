/** @portico/edge: the common layer every Portico BFF links. Named exports only. */
export { loadConfig, formatConfigError, edgeEnvShape, ConfigError, describeIssues, deepFreeze, durationSchema, sizeSchema, parseDuration, parseSize } from './config';
export type { EdgeConfig, JwtAlgorithm, LoadConfigOptions } from './config';
export { catalogue, problemType, isErrorCode, EdgeError, isEdgeError, problemMiddleware, renderProblem, writeProblem, logFailure, problemBody, toEdgeError } from './errors';
export type { ErrorCode, EdgeErrorOptions, ProblemBody, ProblemDeps } from './errors';
export { readJsonBody, readValidBody } from './body';
export type { ReadJsonOptions } from './body';
export { MemoryEventBus, RedisEventBus } from './events';
export type { EventBus, BusEvent } from './events';
export { EventLog, sequenceOf, openSse, formatSse, lastEventIdOf, eventStream, GAP_EVENT } from './events';
export type { EventLogOptions, Replay, SseOptions, SseMessage, SseStream, EventStreamOptions } from './events';
export type { EdgeState, EdgeContext, EdgeLogger, Principal, RouteInfo } from './state';
export { authPolicyShape, authPolicySchema, Authenticator, createAuthenticator, authenticate, authorize, requireOwner, JwtVerifier, secretKeySource, JwksCache, MAX_TOKEN_BYTES, generateApiKey, hashApiKey, verifyApiKey, looksLikeApiKey, apiKeyRecordSchema, FileApiKeyStore, RedisApiKeyStore, API_KEY_ISSUER } from './auth';
export type { AuthPolicy, CredentialKind, AuthDeps, AuthenticateDeps, JwtVerifierOptions, KeySource, JwtHeader, JwksCacheOptions, ApiKeyRecord, ApiKeyStore, NewApiKey, RedisHashClient, RedisApiKeyStoreOptions } from './auth';
export { apiKeyRedisKey, API_KEY_REDIS_NAMESPACE, API_KEY_STALE_DEFAULTS } from './auth';
export type { FileApiKeyStoreOptions } from './auth';
// auth/ exports (auth owner: keep this marker line)
export { createRedisClient, parseRedisUrl, describeRedisTarget, BoundedRedis, RedisTimeoutError } from './redis';
export type { RedisClient, RedisClientOptions, RedisTarget, RedisHost } from './redis';
export { rateLimit, globalRateLimit, rateLimitPolicySchema, RateLimitStoreError, RedisRateLimitStore, MemoryRateLimitStore, createRateLimitStores } from './ratelimit';
export type { RateLimitDeps, RateLimitPolicy, RateLimitStore, RateLimitDecision, RedisRateLimitStoreOptions, MemoryRateLimitStoreOptions, RateLimitStores } from './ratelimit';
// ratelimit/ and redis/ exports (ratelimit owner: keep this marker line)
export { cachePolicySchema, DEFAULT_MAX_BODY_SIZE, MemoryCacheStore, RedisCacheStore, cacheKey, keyInput, responseCache } from './cache';
export type { CachePolicy, CacheEntry, CacheStore, StoredHeaders, CacheKeyInput, ResponseCacheDeps } from './cache';
export type { MemoryCacheStoreOptions, RedisCacheStoreDeps } from './cache';
export { compressPolicySchema, compressResponse, DEFAULT_MIN_COMPRESS_BYTES, type CompressPolicy } from './compress';
export { assignEtag, conditionalGet, etagPolicySchema } from './conditional';
// cache/ exports (cache owner: keep this marker line)
export { Readiness, redisCheck, healthRoutes, LIVENESS_PATH, READINESS_PATH } from './health';
export type { ReadinessCheck, ReadinessOptions, ReadinessReport, HealthDeps } from './health';
export { Lifecycle, createLifecycle } from './lifecycle';
export type { LifecycleOptions, ShutdownHook, DrainableReadiness } from './lifecycle';
export { requestGuards, checkRequest, DEFAULT_GUARD_LIMITS, checkRequestPath, rawPathOf, limitBody, bodyTooLarge, serverOptions, applyServerTimeouts, handleClientError, clientErrorResponse, SERVER_LIMITS } from './guards';
export type { GuardLimits } from './guards';
// health/, lifecycle/ and guards/ exports (health owner: keep this marker line)
export { createLogger, REDACT_PATHS, requestContext, REQUEST_ID_PATTERN, requestIdOf, whenResponseDone, accessLoggerOf, logAccess, AccessLog, clientAddressFrom, trustedChain } from './logging';
export type { LoggerConfig, RequestContextDeps, AccessFacts, AccessLine, AccessLevel } from './logging';
export { EdgeMetrics, createMetrics, metricsMiddleware, recordRequest, METRICS_PATH } from './metrics';
export type { MetricsOptions, UpstreamLabels, UpstreamOutcome, RequestFacts } from './metrics';
export { serverSpanMiddleware, tracingMiddleware, withClientSpan, clientSpans, injectTraceContext, currentTraceId, runInTraceContext, shutdownTelemetry, isTelemetryStarted, ExplicitContextManager } from './telemetry';
export type { ClientSpan, TraceContext } from './telemetry';
// logging/, metrics/ and telemetry/ exports (telemetry owner: keep this marker line)
export { createEdgeApp, createEdgeRuntime, serve, startService, runService, exitOnStartupError, releaseStartupMemory, STARTUP_CHECK, type StartupMemoryOptions } from './service';
export type { EdgeAppDeps, EdgeAppOptions, EdgeRuntime, EdgeRuntimeOptions, PendingHook, Serving, ServeOptions, RunningService, ServiceDefinition, BuildService } from './service';
export { Pool as UndiciPool } from './undici';
export { cors, CORS_DEFAULTS, parseOrigin, corsOriginsSchema } from './cors';
export type { CorsOptions } from './cors';
// cors/ exports (cors owner: keep this marker line)
