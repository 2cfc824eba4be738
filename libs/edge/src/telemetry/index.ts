/** Telemetry: request span helpers and the shutdown hook. startTelemetry lives in sdk.ts, loaded only by the instrument entry and tests. */
export { tracingMiddleware, withClientSpan, injectTraceContext, currentTraceId, isTracedRequest } from './spans';
export { shutdownTelemetry, isTelemetryStarted } from './shutdown';
