/**
 * Entry point `node --import @portico/edge/instrument dist/main.js`: starts tracing before Koa, undici and ioredis load.
 * Reads the tracing SDK's own OTEL_* variables and TRACE_CONTEXT (docs/style.md's one exception to "only loadConfig reads the environment"):
 * without OTEL_EXPORTER_OTLP_ENDPOINT nothing is started. The SDK itself also honours OTEL_TRACES_SAMPLER(_ARG) and
 * OTEL_SDK_DISABLED.
 */
import type * as Sdk from './sdk';
import { OTLP_PROTOCOLS, isOtlpProtocol, otlpProtocolIn, type OtlpProtocol } from './otlp-protocol';
import { TRACE_CONTEXT_MODES, isTraceContextMode, traceContextIn, type TraceContextMode } from './trace-context';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
let otlpEndpoint: string | undefined;
if (endpoint) {
  // loadConfig rejects a malformed endpoint with a proper message; here it only must not crash before main runs.
  if (URL.canParse(endpoint)) otlpEndpoint = endpoint;
  else console.warn(`telemetry: OTEL_EXPORTER_OTLP_ENDPOINT is not a URL (${JSON.stringify(endpoint)}); spans are not exported`);
}

// loadConfig stops the service on an unknown protocol; until it runs, spans are not exported in a guessed encoding.
const protocol = otlpProtocolIn(process.env);
let otlpProtocol: OtlpProtocol | undefined;
if (protocol !== undefined && !isOtlpProtocol(protocol)) {
  console.warn(`telemetry: OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL ${JSON.stringify(protocol)} is not one of ${OTLP_PROTOCOLS.join(', ')}; spans are not exported`);
  otlpEndpoint = undefined;
} else otlpProtocol = protocol;

// Likewise TRACE_CONTEXT: loadConfig stops the service on an unknown mode; until then nothing is exported.
const traceContextSetting = traceContextIn(process.env);
let traceContext: TraceContextMode | undefined;
if (traceContextSetting !== undefined && !isTraceContextMode(traceContextSetting)) {
  console.warn(`telemetry: TRACE_CONTEXT ${JSON.stringify(traceContextSetting)} is not one of ${TRACE_CONTEXT_MODES.join(', ')}; spans are not exported`);
  otlpEndpoint = undefined;
} else traceContext = traceContextSetting;

// The SDK costs ~180 ms and ~27 MB to load: only when spans will be exported. require(), not import(): the hooks must be
// in place before this preload returns and the service's own modules load.
if (otlpEndpoint) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTelemetry } = require('./sdk') as typeof Sdk;
  startTelemetry({ serviceName: process.env.OTEL_SERVICE_NAME?.trim() || undefined, otlpEndpoint, otlpProtocol, traceContext });
}
