/** Logging: the pino service logger and the outermost request-context middleware with the access log. */
export { createLogger, REDACT_PATHS, type LoggerConfig } from './logger';
export { requestContext, REQUEST_ID_PATTERN, requestIdOf, whenResponseDone, accessLoggerOf, logAccess, type RequestContextDeps, type AccessFacts } from './request-context';
export { clientAddressFrom, trustedChain } from './client-address';
export { AccessLog, type AccessLine, type AccessLevel } from './access-line';
