/**
 * Starts the OpenTelemetry NodeSDK: client spans for undici (except the gateway's pools, which make their own) and
 * ioredis, W3C trace context, OTLP/HTTP export (protobuf unless JSON is asked for) only when an endpoint is given. Server spans are the edge app's own
 * (spans.ts serverSpanMiddleware). Must run before undici or ioredis load; instrument.ts does that.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { isTelemetryStarted, registerTelemetryShutdown } from './shutdown';
import { isSelfTracedOrigin } from './spans';
import type { OtlpProtocol } from './otlp-protocol';
import { ExplicitContextManager, type TraceContextMode } from './trace-context';

/** How to start tracing; instrument.ts derives it from the OTEL_* variables. */
export interface TelemetryOptions {
  /** `service.name` on every span (OTEL_SERVICE_NAME); the SDK's default when omitted. */
  serviceName?: string;
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://otel-collector:4318); spans go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  /**
   * The OTLP/HTTP encoding (OTEL_EXPORTER_OTLP_PROTOCOL): `http/protobuf`, the OpenTelemetry default, or `http/json`.
   * Protobuf: an export of the edge stack's spans is ~2.7× smaller than the same spans as JSON, for the same CPU to encode.
   */
  otlpProtocol?: OtlpProtocol;
  /** Exporter to batch spans to instead of OTLP (tests, custom backends). */
  spanExporter?: SpanExporter;
  /** Span processors used as given, e.g. a SimpleSpanProcessor over an InMemorySpanExporter in tests; wins over the rest. */
  spanProcessors?: SpanProcessor[];
  /** How a request's context reaches its calls (TRACE_CONTEXT, trace-context.ts): `explicit` unless told otherwise. */
  traceContext?: TraceContextMode;
}

/**
 * Starts the SDK once per process and registers shutdownTelemetry(); returns whether tracing runs. With neither
 * endpoint, exporter nor processors it starts nothing: the instrumentations alone, with no span ever exported, measured
 * +40–80 µs of CPU per proxied request (bench/telemetry-overhead.ts), for no more than passing a traceparent through.
 */
export function startTelemetry(options: TelemetryOptions = {}): boolean {
  if (isTelemetryStarted()) return true;
  const spanProcessors = spanProcessorsFor(options);
  if (spanProcessors.length === 0) return false;
  const sdk = new NodeSDK({
    ...(options.serviceName ? { serviceName: options.serviceName } : {}),
    spanProcessors,
    // Metrics are prom-client's (metrics/), logs are pino's: keep the SDK from starting OTLP pipelines for either.
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: createInstrumentations(),
    // Without one the SDK installs its AsyncLocalStorage context manager.
    ...(options.traceContext === 'async-local-storage' ? {} : { contextManager: new ExplicitContextManager() }),
  });
  sdk.start();
  registerTelemetryShutdown(() => sdk.shutdown());
  return true;
}

/** The instrumentations startTelemetry registers: undici and ioredis client spans, only inside a request's trace. */
export function createInstrumentations(): Instrumentation[] {
  return [
    // Background calls (JWKS refresh, probes) would each start a one-span trace of their own; the gateway's upstream
    // pools make their own spans (spans.ts clientSpans).
    new UndiciInstrumentation({ requireParentforSpans: true, ignoreRequestHook: (request) => isSelfTracedOrigin(request.origin) }),
    // Command name only: keys and arguments carry subjects, client ids and cached data.
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
  ];
}

function spanProcessorsFor(options: TelemetryOptions): SpanProcessor[] {
  if (options.spanProcessors) return options.spanProcessors;
  if (options.spanExporter) return [new BatchSpanProcessor(options.spanExporter)];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    const exporter = options.otlpProtocol === 'http/json' ? new OTLPJsonTraceExporter({ url }) : new OTLPProtobufTraceExporter({ url });
    return [new BatchSpanProcessor(exporter)];
  }
  return [];
}
