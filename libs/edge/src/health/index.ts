/** Health: readiness checks and the /livez and /readyz probe routes. */
export { Readiness, redisCheck, type ReadinessCheck, type ReadinessOptions, type ReadinessReport } from './readiness';
export { healthRoutes, LIVENESS_PATH, READINESS_PATH, type HealthDeps } from './health-routes';
