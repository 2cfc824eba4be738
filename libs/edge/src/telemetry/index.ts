/** Telemetry: request span helpers and the shutdown hook. startTelemetry lives in sdk.ts, loaded only by the instrument entry and tests. */
export { serverSpanMiddleware, tracingMiddleware, UNTRACED_PATHS, withClientSpan, clientSpans, isSelfTracedOrigin, injectTraceContext, currentTraceId, isTracedRequest, tracedContext, runInTraceContext } from './spans';
export type { ClientSpan, TraceContext } from './spans';
export { shutdownTelemetry, isTelemetryStarted } from './shutdown';
export { ExplicitContextManager, TRACE_CONTEXT_MODES, type TraceContextMode } from './trace-context';
