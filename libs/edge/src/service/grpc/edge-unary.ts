/**
 * The edge of one gRPC unary method: what the HTTP stack gives every request, for a call. The caller's trace continued
 * (W3C `traceparent` from metadata) in a SERVER span, the request id kept from `x-request-id` metadata or made and sent
 * back, one log line and a count and duration per call, and a handler fault answered as INTERNAL without its message.
 * The method's own logic stays the handler's.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type TextMapGetter } from '@opentelemetry/api';
import { Metadata, status, type sendUnaryData, type ServerErrorResponse, type ServerUnaryCall, type StatusObject } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';
import { requestIdOf } from '../../logging';
import type { EdgeMetrics } from '../../metrics';
import type { EdgeLogger } from '../../state';
import { isTelemetryStarted, type TraceContext } from '../../telemetry';

/** A unary method's handler, as grpc-js calls it. */
export type UnaryHandler = (call: ServerUnaryCall<any, any>, callback: sendUnaryData<any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What every wrapped method records to. */
export interface GrpcEdgeDeps {
  logger: EdgeLogger;
  metrics: EdgeMetrics;
}

/** One call's error as a handler passes it: a grpc status (with details meant for the caller) or any other error. */
type HandlerError = Partial<StatusObject> | ServerErrorResponse | Error;

const tracer = trace.getTracer('@portico/edge');

// Each traced call's context, for its handler to pass to the calls it makes after an await (TRACE_CONTEXT=explicit).
const callContexts = new WeakMap<object, TraceContext>();

/**
 * The trace context of a call being handled (its SERVER span), as `ctx.state.trace` is a Koa request's: give it to
 * runInTraceContext or withClientSpan for calls the handler makes after an await. Undefined when tracing is off.
 */
export function callTraceContext(call: object): TraceContext | undefined {
  return callContexts.get(call);
}

// Metadata values are arrays of strings or Buffers; trace context is text only.
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key).filter((v): v is string => typeof v === 'string');
    return values.length ? values : undefined;
  },
};

// The names go-grpc-prometheus made familiar to operators; one set per registry, shared by every method.
const series = new WeakMap<Registry, { handled: Counter<'grpc_service' | 'grpc_method' | 'grpc_code'>; seconds: Histogram<'grpc_service' | 'grpc_method'> }>();
function seriesOf(registry: Registry) {
  let found = series.get(registry);
  if (!found) {
    const registers = [registry];
    found = {
      handled: new Counter({
        name: 'grpc_server_handled_total',
        help: 'gRPC calls answered, by service, method and status code',
        labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
        registers,
      }),
      seconds: new Histogram({
        name: 'grpc_server_handling_seconds',
        help: 'gRPC call duration until the answer was handed to grpc-js, by service and method',
        labelNames: ['grpc_service', 'grpc_method'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers,
      }),
    };
    series.set(registry, found);
  }
  return found;
}

/** Wraps the handler of `service`/`method` (its full proto names) with the call's span, log line and metrics. */
export function edgeUnary(service: string, method: string, handler: UnaryHandler, deps: GrpcEdgeDeps): UnaryHandler {
  const { handled, seconds } = seriesOf(deps.metrics.registry);
  const rpc = `${service}/${method}`;
  const labels = { grpc_service: service, grpc_method: method };

  return function unary(call, callback) {
    const started = performance.now();
    const requestId = requestIdOf(firstText(call.metadata.get('x-request-id')));
    let span: Span | undefined;
    let active = ROOT_CONTEXT;
    if (isTelemetryStarted()) {
      const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
      span = tracer.startSpan(
        rpc,
        { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method, 'portico.request.id': requestId } },
        parent,
      );
      active = trace.setSpan(parent, span);
      callContexts.set(call, active);
    }
    let answered = false;
    echoRequestId(call, requestId);

    const answer: sendUnaryData<unknown> = (err, value, trailer, flags) => {
      if (answered) return;
      answered = true;
      const outgoing = err ? toCallerError(err as HandlerError, deps.logger, rpc, requestId) : null;
      const code = outgoing ? outgoing.code : call.cancelled ? status.CANCELLED : status.OK;
      const codeName = status[code] ?? String(code);
      handled.inc({ ...labels, grpc_code: codeName });
      seconds.observe(labels, (performance.now() - started) / 1000);
      if (span) {
        span.setAttribute('rpc.grpc.status_code', code);
        // The gRPC server conventions: only codes that mean the server failed are errors of this span.
        if (SERVER_FAULTS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      const line = {
        requestId,
        traceId: span?.spanContext().traceId ?? null,
        rpc,
        grpcCode: codeName,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        peer: call.getPeer(),
      };
      if (SERVER_FAULTS.has(code)) deps.logger.warn(line, 'rpc');
      else deps.logger.info(line, 'rpc');
      if (outgoing) callback(outgoing, null, withRequestId(trailer ?? outgoing.metadata ?? undefined, requestId));
      else {
        call.sendMetadata(new Metadata());
        callback(null, value, trailer, flags);
      }
    };

    try {
      context.with(active, () => handler(call, answer));
    } catch (thrown) {
      answer(thrown as Error);
    }
  };
}

// https://opentelemetry.io/docs/specs/semconv/rpc/grpc/: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
const SERVER_FAULTS = new Set<number>([status.UNKNOWN, status.DEADLINE_EXCEEDED, status.UNIMPLEMENTED, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]);

/**
 * A status the handler chose (a numeric `code`) goes to the caller as given: its details were written for the caller.
 * Anything else is a fault: logged here with its message and stack, answered as INTERNAL with nothing of it, as
 * problem+json answers an unknown error with a bare 500.
 */
function toCallerError(err: HandlerError, logger: EdgeLogger, rpc: string, requestId: string): Partial<StatusObject> & { code: status } {
  const code = (err as Partial<StatusObject>).code;
  if (typeof code === 'number' && code !== status.OK && status[code] !== undefined) return err as Partial<StatusObject> & { code: status };
  logger.error({ err, rpc, requestId }, 'unhandled error');
  return { code: status.INTERNAL, details: 'internal error' };
}

/**
 * The request id goes back as an HTTP answer's X-Request-Id does: in the response headers (initial metadata) of an
 * answered call, whoever sends them, and in the trailers of a failed one, where a client finds it on the error
 * (grpc-js sends a failure before any message as one trailers-only frame).
 */
function echoRequestId(call: ServerUnaryCall<unknown, unknown>, requestId: string): void {
  const send = call.sendMetadata.bind(call);
  call.sendMetadata = (metadata: Metadata) => send(withRequestId(metadata, requestId));
}

function withRequestId(metadata: Metadata | undefined, requestId: string): Metadata {
  const out = metadata?.clone() ?? new Metadata();
  if (out.get('x-request-id').length === 0) out.set('x-request-id', requestId);
  return out;
}

function firstText(values: Array<string | Buffer>): string | undefined {
  const first = values[0];
  return typeof first === 'string' ? first : undefined;
}
