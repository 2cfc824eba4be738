/**
 * Request-side tracing over @opentelemetry/api: the server span of each request, named by route template; CLIENT spans
 * for calls made on its behalf; W3C trace context in and out. Starting the SDK is sdk.ts's job; without it all of this
 * is a no-op.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, isSpanContextValid, type Attributes, type Span } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import { toEdgeError } from '../errors';
import type { EdgeState } from '../state';
import { isTelemetryStarted } from './shutdown';

const tracer = trace.getTracer('@portico/edge');

// Attribute names from the HTTP semantic conventions (the semantic-conventions package holds ~0.5 MiB of heap for them).
const ATTR_HTTP_ROUTE = 'http.route';

/** Paths never traced by default: probes and scrapes would drown real traffic. */
export const UNTRACED_PATHS: readonly string[] = ['/livez', '/readyz', '/metrics'];

/**
 * Koa middleware, outermost: the request's SERVER span, continuing the caller's trace when it sent a `traceparent`, put
 * on `ctx.state.trace` (and made active) for everything after it. It ends when the response finishes or the client goes
 * away, named `${method} ${template}` by then when a route matched. Probes and scrapes get none. Without a started SDK
 * it only calls next().
 *
 * Portico makes this span itself rather than through @opentelemetry/instrumentation-http, which wraps every listener of
 * every request and response: in one bench/edge-stack.ts run against the tree that still used it, a traced request of
 * the full edge stack cost 413 CPU µs with this middleware and 732 with the instrumentation.
 */
export function serverSpanMiddleware(ignorePaths: readonly string[] = UNTRACED_PATHS): Middleware<EdgeState> {
  const ignored = new Set(ignorePaths);
  return function serverSpan(ctx, next) {
    if (!isTelemetryStarted() || ignored.has(ctx.path)) return next();
    const req = ctx.req;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const attributes: Attributes = {
      'http.request.method': ctx.method,
      'url.path': ctx.path,
      'url.scheme': ctx.protocol,
      'network.peer.address': req.socket.remoteAddress,
    };
    const userAgent = req.headers['user-agent'];
    if (userAgent) attributes['user_agent.original'] = userAgent;
    const span = tracer.startSpan(ctx.method, { kind: SpanKind.SERVER, attributes }, parent);
    // A span the sampler dropped records nothing: only its context travels on (traceparent with sampled=0).
    if (span.isRecording()) {
      const res = ctx.res;
      // node:http emits 'close' on every response: after 'finish' when it was sent whole, alone when the client went first.
      // Named here, not after the chain: a request whose client went away ends before its chain does.
      res.once('close', () => {
        const { route, requestId } = ctx.state;
        if (route) {
          span.updateName(`${ctx.method} ${route.template}`);
          span.setAttribute(ATTR_HTTP_ROUTE, route.template);
          span.setAttribute('portico.route.id', route.id);
        }
        if (requestId) span.setAttribute('portico.request.id', requestId);
        const status = res.statusCode;
        span.setAttribute('http.response.status_code', status);
        if (!res.writableFinished) span.setAttribute('portico.client_aborted', true);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
    }
    const active = trace.setSpan(parent, span);
    // Carried on the request from here (TRACE_CONTEXT, trace-context.ts): the span stays this request's after any await.
    ctx.state.trace = active;
    return context.with(active, next);
  };
}

/**
 * Koa middleware, inside problem+json: records on the request's server span any error that becomes a 5xx (client errors
 * are answers, not faults). Does nothing when the request's span is not recording. The span's name (`${method}
 * ${template}`), route and request id are set by serverSpanMiddleware when it ends: never the raw path or the principal.
 */
export function tracingMiddleware(): Middleware<EdgeState> {
  return function tracing(ctx, next) {
    const span = trace.getSpan(ctx.state.trace ?? context.active());
    return span?.isRecording() ? next().catch((err: unknown) => recordFault(span, err)) : next();
  };
}

function recordFault(span: Span, err: unknown): never {
  if (toEdgeError(err).status >= 500) span.recordException(err instanceof Error ? err : String(err));
  throw err;
}

/**
 * Runs `fn` inside a CLIENT span named `name` (for clients the SDK does not instrument, e.g. gRPC), a child of `parent`
 * (the request's `ctx.state.trace`; the active context when omitted); a rejection is recorded on the span and rethrown.
 * The span is active while fn starts: injectTraceContext() called before fn's first await carries it.
 */
export async function withClientSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, parent?: TraceContext): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A CLIENT span of one upstream call, made by the caller itself (see clientSpans). */
export interface ClientSpan {
  /** Adds this span's `traceparent` (and `tracestate`) to the outgoing headers. */
  inject(headers: Record<string, string | string[]>): void;
  /** Ends the span with the answer's status, if one came, and marks it failed when `failed`. */
  end(statusCode: number | undefined, failed: boolean): void;
}

// On globalThis: sdk.ts (loaded by the instrument entry) and the service may hold two copies of this module.
const SELF_TRACED = Symbol.for('portico.telemetry.selfTracedOrigins');
function selfTracedOrigins(): Set<string> {
  const holder = globalThis as { [SELF_TRACED]?: Set<string> };
  return (holder[SELF_TRACED] ??= new Set());
}

/** True for an origin whose calls clientSpans() traces; instrumentation-undici skips them so no call gets two spans. */
export function isSelfTracedOrigin(origin: unknown): boolean {
  const origins = selfTracedOrigins();
  if (origins.size === 0) return false;
  const raw = String(origin);
  if (origins.has(raw)) return true;
  // Spelled differently (a trailing slash, a default port): compare the normalised origin.
  return URL.canParse(raw) && origins.has(new URL(raw).origin);
}

/**
 * Span starter for calls to `origin`, for a client that traces its calls itself (the gateway's upstream pools): each
 * start() makes a CLIENT span under `parent` (the call's request context; the active one when omitted), or returns
 * undefined when no request is traced. Cheaper than
 * instrumentation-undici, which parses the URL and every header of each call. Undefined when tracing is off (decided at
 * start-up, by the instrument entry), so an untraced service pays nothing per call.
 */
export function clientSpans(origin: string): ((name: string, attributes: Attributes, parent?: TraceContext) => ClientSpan | undefined) | undefined {
  const url = new URL(origin);
  selfTracedOrigins().add(url.origin);
  if (!isTelemetryStarted()) return undefined;
  const serverAttributes: Attributes = { 'server.address': url.hostname, 'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  return (name, attributes, traced) => {
    const parent = traced ?? context.active();
    // Like requireParentforSpans: a call outside any request (a background refresh) starts no trace of its own.
    if (trace.getSpan(parent) === undefined) return undefined;
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: { ...serverAttributes, ...attributes } }, parent);
    return {
      inject: (headers) => propagation.inject(trace.setSpan(parent, span), headers),
      end: (statusCode, failed) => {
        if (statusCode !== undefined) span.setAttribute('http.response.status_code', statusCode);
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  };
}

/** Adds `traceparent` (and `tracestate`) for the active context to `headers` and returns them; unchanged when nothing is traced. */
export function injectTraceContext<H extends Record<string, unknown>>(headers: H): H {
  propagation.inject(context.active(), headers);
  return headers;
}

/** The trace id (32 hex digits) of `traced` (a request's `ctx.state.trace`) or else of the active context; undefined when it holds no valid span. */
export function currentTraceId(traced?: TraceContext): string | undefined {
  const spanContext = trace.getSpan(traced ?? context.active())?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** True when a recording span is active: client calls made now belong in its trace. */
export function isTracedRequest(): boolean {
  return trace.getActiveSpan()?.isRecording() === true;
}

/** The trace context of a traced request (opaque), for work done later on its behalf; undefined when none is recording. */
export type TraceContext = ReturnType<typeof context.active>;

/** The active context when a recording span is active, else undefined: pass it to runInTraceContext later. */
export function tracedContext(): TraceContext | undefined {
  return isTracedRequest() ? context.active() : undefined;
}

/**
 * Runs `fn` with `traced` (a request's `ctx.state.trace`) as the active context, so the client spans fn's instrumented
 * calls start before its first await join that request's trace; just calls fn when `traced` is undefined or already active.
 */
export function runInTraceContext<T>(traced: TraceContext | undefined, fn: () => T): T {
  return traced === undefined || context.active() === traced ? fn() : context.with(traced, fn);
}
