/** Config: environment schema, loadConfig(), ConfigError, durations and sizes. */
export { loadConfig, formatConfigError, edgeEnvShape, type EdgeConfig, type JwtAlgorithm, type LoadConfigOptions } from './edge-config';
export { ConfigError, describeIssues, deepFreeze } from './config-error';
export { durationSchema, sizeSchema, parseDuration, parseSize } from './duration';
