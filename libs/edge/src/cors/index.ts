/** CORS: the origin allow-list middleware for browser clients and its config schema. */
export { cors, CORS_DEFAULTS, type CorsOptions } from './cors';
export { parseOrigin, corsOriginsSchema } from './origins';
