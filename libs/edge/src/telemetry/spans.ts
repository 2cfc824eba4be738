/**
 * Request-side tracing helpers over @opentelemetry/api: names the server span by route template, wraps non-HTTP
 * client calls in spans and injects W3C trace context. Starting the SDK is sdk.ts's job; without it all of this is a no-op.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, isSpanContextValid, type Attributes, type Span } from '@opentelemetry/api';
import type * as OtelCore from '@opentelemetry/core';
import type { Middleware } from 'koa';
import { toEdgeError } from '../errors';
import type { EdgeState } from '../state';

const tracer = trace.getTracer('@portico/edge');

// ATTR_HTTP_ROUTE: the semantic-conventions package holds ~0.5 MiB of heap for this one name.
const ATTR_HTTP_ROUTE = 'http.route';
// @opentelemetry/core (~0.6 MiB of heap) is needed only with a recording span, i.e. once the SDK has loaded it anyway.
let otelCore: typeof OtelCore | undefined;

/**
 * Koa middleware: after the route chain ran, names the active server span `${method} ${template}` and records the
 * route and request id. Never the raw path or the principal. Does nothing when no recording span is active.
 */
export function tracingMiddleware(): Middleware<EdgeState> {
  return async function tracing(ctx, next) {
    const span = trace.getActiveSpan();
    if (!span?.isRecording()) return next();
    try {
      await next();
    } catch (err) {
      // Client errors are answers, not faults; only what becomes a 5xx is an exception on the span.
      if (toEdgeError(err).status >= 500) span.recordException(err instanceof Error ? err : String(err));
      throw err;
    } finally {
      const route = ctx.state.route;
      if (route) {
        span.updateName(`${ctx.method} ${route.template}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route.template);
        span.setAttribute('portico.route.id', route.id);
        // instrumentation-http renames the span from this when the response finishes; keep both in agreement.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { getRPCMetadata, RPCType } = (otelCore ??= require('@opentelemetry/core') as typeof OtelCore);
        const rpc = getRPCMetadata(context.active());
        if (rpc?.type === RPCType.HTTP) rpc.route = route.template;
      }
      if (ctx.state.requestId) span.setAttribute('portico.request.id', ctx.state.requestId);
    }
  };
}

/**
 * Runs `fn` inside a CLIENT span named `name` (for clients the SDK does not instrument, e.g. gRPC); a rejection is
 * recorded on the span and rethrown.
 */
export async function withClientSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
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

/** Adds `traceparent` (and `tracestate`) for the active context to `headers` and returns them; unchanged when nothing is traced. */
export function injectTraceContext<H extends Record<string, unknown>>(headers: H): H {
  propagation.inject(context.active(), headers);
  return headers;
}

/** The active trace id (32 hex digits), or undefined when no valid span is active. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** True when a recording span is active: client calls made now belong in its trace, so they must not be batched with others'. */
export function isTracedRequest(): boolean {
  return trace.getActiveSpan()?.isRecording() === true;
}
