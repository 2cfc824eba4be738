/**
 * The terminal of an upstream route: streams the request body to `Upstream.dispatch()` and the answer back, never
 * parsing either (a small answer arrives whole, see UpstreamPolicy.bufferBytes, and is written in one piece). Timeouts, retries, breaker and pools are the Upstream's job; fault mapping is upstream-faults.ts's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Middleware } from 'koa';
import { EdgeError, type EdgeContext, type EdgeState, type TraceContext } from '@portico/edge';
import type { Upstream } from '../clients/upstream-types';
import type { RouteDefinition, UpstreamTarget } from '../routing-map/load-routing-map';
import { buildPath } from '../routing-map/path-pattern';
import { statusFault, upstreamFault } from '../upstream-faults';
import { BodyLimiter, hasBody, limitedBody, payloadTooLarge } from './body-limit';
import { ClientGone } from '../clients/client-gone';
import { principalHeaders, socketForwardingHeaders } from './forwarded-headers';
import { clientResponseHeaders, upstreamRequestHeaders } from './hop-by-hop';

/** What proxyRoute needs: the upstream pools (created once at start-up) and the edge's trust settings. */
export interface ProxyDeps {
  /** Finds the Upstream for an origin; `Upstreams` from createUpstreams() satisfies it. */
  upstreams: { byOrigin(origin: string): Upstream | undefined };
  /** TRUSTED_PROXY_HOPS. */
  trustedProxyHops: number;
  /** MAX_BODY_SIZE: the body limit of routes that set none. */
  defaultBodyLimit: number;
}

// RFC 9110 §6.4.1: these statuses never carry content.
export const NO_CONTENT: ReadonlySet<number> = new Set([204, 205, 304]);

/** One request to forward, whoever received it: the Koa terminal below or a direct route (direct-route.ts). */
export interface ForwardInput {
  req: IncomingMessage;
  /** The client's response: its early close aborts the upstream call. */
  res: ServerResponse;
  method: string;
  /** Decoded path parameters of the matched route. */
  params: Readonly<Record<string, string>>;
  /** The raw query string, without `?`. */
  querystring: string;
  /** Whether the client connection is TLS (the edge trusts no client-sent protocol header for this). */
  https: boolean;
  requestId?: string;
  principal?: EdgeState['principal'];
  /** The JSON body already read and validated against policy.body, if the route declares one. */
  parsedBody?: unknown;
  /** The route deadline (ms since the epoch). */
  deadline: number;
  /** The request's trace context (`ctx.state.trace`): the upstream call's CLIENT span joins its trace. */
  trace?: TraceContext;
}

/** What to answer: status, client-safe headers, and the body (none for HEAD and 204/205/304). */
export interface Forwarded {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | Readable | undefined;
}

/** Forwards one request of a route; upstream faults are thrown as EdgeErrors (502/503/504/413). */
export type Forwarder = (input: ForwardInput) => Promise<Forwarded>;

/** Builds the forwarding of one route, once; throws when the route's origin has no upstream pool. */
export function createForwarder(route: RouteDefinition, deps: ProxyDeps): Forwarder {
  const target = route.target;
  if (!target) throw new Error(`route ${route.id} has no upstream`);
  const upstream = findUpstream(deps, target);
  const limit = route.policy.bodyLimit ?? deps.defaultBodyLimit;
  const { timeout, retries } = route.policy;

  return async function forward(input: ForwardInput): Promise<Forwarded> {
    const built = buildPath(target.segments, input.params);
    const path = target.basePath && built === '/' ? target.basePath : `${target.basePath}${built}`;
    const headers = requestHeaders(input, route, deps);
    let body: Buffer | BodyLimiter | null = null;
    if (input.parsedBody !== undefined) {
      // The body was read and validated against policy.body; send the same JSON, now replayable.
      body = Buffer.from(JSON.stringify(input.parsedBody));
      headers['content-length'] = String(body.length);
    } else if (hasBody(input.req)) {
      body = limitedBody(input.req, limit);
    }
    const limiter = body instanceof BodyLimiter ? body : undefined;

    // docs/edge-defaults.md: when the client goes away, the upstream call made for it is aborted.
    const clientGone = new ClientGone(input.res);

    let response: Awaited<ReturnType<Upstream['dispatch']>>;
    try {
      response = await upstream.dispatch({
        method: input.method,
        path: `${path}${input.querystring ? `?${input.querystring}` : ''}`,
        headers,
        body,
        deadline: input.deadline,
        signal: clientGone,
        // A streamed body cannot be replayed, so it is sent once whatever the route allows.
        retries: limiter ? 0 : retries,
        operation: route.id,
        trace: input.trace,
      });
    } catch (err) {
      if (limiter?.exceeded) throw payloadTooLarge(limit);
      throw upstreamFault(err, upstream.name, timeout);
    }
    if (limiter?.exceeded) {
      response.destroy();
      throw payloadTooLarge(limit);
    }
    const fault = statusFault(response.statusCode, upstream.name);
    if (fault) {
      // Never the upstream's own error body: it may name hosts or carry a stack.
      await response.dump().catch(() => undefined);
      throw withRetryAfter(fault, response.headers['retry-after']);
    }
    const answerHeaders = clientResponseHeaders(response.headers);
    if (input.method === 'HEAD' || NO_CONTENT.has(response.statusCode)) {
      await response.dump().catch(() => undefined);
      return { status: response.statusCode, headers: answerHeaders, body: undefined };
    }
    // A buffered answer goes out with the status line in one write; a streamed one is piped to the client and
    // destroyed if the client goes away.
    return { status: response.statusCode, headers: answerHeaders, body: response.buffered ?? response.body };
  };
}

/** Builds the proxy terminal (Koa middleware) for one route, once; throws when the route's origin has no upstream pool. */
export function proxyRoute(route: RouteDefinition, deps: ProxyDeps): Middleware<EdgeState> {
  return forwardingTerminal(createForwarder(route, deps), route.policy.timeout);
}

/** The Koa terminal serving a route's forwarding (the same Forwarder a direct route answers with); `timeout`: the route's, ms. */
export function forwardingTerminal(forward: Forwarder, timeout: number): Middleware<EdgeState> {
  return async function proxy(ctx: EdgeContext): Promise<void> {
    const answer = await forward({
      req: ctx.req,
      res: ctx.res,
      method: ctx.method,
      params: ctx.state.params ?? {},
      querystring: ctx.querystring,
      https: ctx.protocol === 'https',
      requestId: ctx.state.requestId,
      principal: ctx.state.principal,
      parsedBody: ctx.state.body,
      deadline: ctx.state.deadline ?? Date.now() + timeout,
      trace: ctx.state.trace,
    });
    ctx.status = answer.status;
    for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
    if (answer.body !== undefined) ctx.body = answer.body;
  };
}

function findUpstream(deps: ProxyDeps, target: UpstreamTarget): Upstream {
  let upstream: Upstream | undefined;
  try {
    // createUpstreams' byOrigin throws for an unknown origin; other implementations may return undefined.
    upstream = deps.upstreams.byOrigin(target.origin);
  } catch {
    upstream = undefined;
  }
  if (!upstream) throw new Error(`no upstream pool for \${${target.variable}}; upstreams are created at start-up, so restart to add one`);
  return upstream;
}

function requestHeaders(input: ForwardInput, route: RouteDefinition, deps: ProxyDeps): Record<string, string | string[]> {
  const req = input.req;
  const headers = upstreamRequestHeaders(req.headers, { forwardAuthorization: route.forwardAuthorization, remove: route.headers.remove });
  Object.assign(
    headers,
    route.headers.add,
    socketForwardingHeaders(req.socket, {
      remoteAddress: req.socket.remoteAddress ?? '0.0.0.0',
      forwardedFor: req.headers['x-forwarded-for'],
      forwardedProto: req.headers['x-forwarded-proto'],
      forwardedHost: req.headers['x-forwarded-host'],
      host: req.headers.host,
      protocol: input.https ? 'https' : 'http',
      trustedProxyHops: deps.trustedProxyHops,
    }),
    principalHeaders(input.principal),
  );
  if (input.requestId) headers['x-request-id'] = input.requestId;
  // traceparent is added by the Upstream (its clientSpans dependency), from the call's CLIENT span.
  return headers;
}

function withRetryAfter(fault: EdgeError, retryAfter: string | string[] | undefined): EdgeError {
  const value = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  // Only a delay in seconds is passed on (RFC 9110 §10.2.3); a date could reveal the upstream's clock.
  if (fault.status !== 503 || value === undefined || !/^\d{1,6}$/.test(value)) return fault;
  return new EdgeError(fault.code, { detail: fault.detail, headers: { ...fault.headers, 'Retry-After': value }, cause: fault.cause });
}
