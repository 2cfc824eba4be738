/** Metrics: the prom-client registry and series of a service, and the middleware that records requests and serves /metrics. */
export { EdgeMetrics, createMetrics, type MetricsOptions, type UpstreamLabels, type UpstreamOutcome } from './metrics';
export { metricsMiddleware, recordRequest, METRICS_PATH, type RequestFacts } from './metrics-middleware';
