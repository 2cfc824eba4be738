/**
 * Loaded with `--import` before bench/servers/telemetry-app.ts, as `@portico/edge/instrument` is before a service's main:
 * starts tracing as BENCH_TELEMETRY says. OTEL_EXPORTER_OTLP_ENDPOINT names the suite's sink; OTEL_TRACES_SAMPLER(_ARG)
 * reach the SDK unchanged.
 */
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createInstrumentations, startTelemetry } from '../../libs/edge/src/telemetry/sdk';
import { isTraceContextMode, traceContextIn } from '../../libs/edge/src/telemetry/trace-context';

const mode = process.env.BENCH_TELEMETRY ?? 'off';
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
// TRACE_CONTEXT as instrument.ts reads it: unset means explicit.
const traceContext = traceContextIn(process.env);
if (traceContext !== undefined && !isTraceContextMode(traceContext)) throw new Error(`TRACE_CONTEXT: unknown mode ${traceContext}`);

switch (mode) {
  case 'off': // what instrument.ts does without OTEL_EXPORTER_OTLP_ENDPOINT
    break;
  case 'instrumentations-only':
    // The SDK started with no exporter: instrumentations and propagation run, no tracer provider records anything.
    new NodeSDK({ spanProcessors: [], metricReaders: [], logRecordProcessors: [], textMapPropagator: new W3CTraceContextPropagator(), instrumentations: createInstrumentations() }).start();
    break;
  case 'recording':
    // Spans recorded and dropped: what trace ids in access logs would cost without an exporter.
    startTelemetry({ serviceName: 'bench-app', spanProcessors: [new NoopSpanProcessor()], traceContext });
    break;
  case 'otlp': // what instrument.ts does with OTEL_EXPORTER_OTLP_ENDPOINT; the suite sets the sampler per scenario
    startTelemetry({ serviceName: 'bench-app', otlpEndpoint: endpoint, traceContext });
    break;
  default:
    throw new Error(`BENCH_TELEMETRY: unknown mode ${mode}`);
}
