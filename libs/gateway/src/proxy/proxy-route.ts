/**
 * The terminal of an upstream route: streams the request body to `Upstream.dispatch()` and the answer back, never
 * parsing either (a small answer arrives whole, see UpstreamPolicy.bufferBytes, and is written in one piece). Timeouts, retries, breaker and pools are the Upstream's job; fault mapping is upstream-faults.ts's.
 */
import type { Middleware } from 'koa';
import { EdgeError, type EdgeContext, type EdgeState } from '@portico/edge';
import type { Upstream } from '../clients/upstream-types';
import type { RouteDefinition, UpstreamTarget } from '../routing-map/load-routing-map';
import { buildPath } from '../routing-map/path-pattern';
import { statusFault, upstreamFault } from '../upstream-faults';
import { BodyLimiter, hasBody, limitedBody, payloadTooLarge } from './body-limit';
import { ClientGone } from './client-gone';
import { forwardingHeaders, principalHeaders } from './forwarded-headers';
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
const NO_CONTENT = new Set([204, 205, 304]);

/** Builds the proxy terminal for one route, once; throws when the route's origin has no upstream pool. */
export function proxyRoute(route: RouteDefinition, deps: ProxyDeps): Middleware<EdgeState> {
  const target = route.target;
  if (!target) throw new Error(`route ${route.id} has no upstream`);
  const upstream = findUpstream(deps, target);
  const limit = route.policy.bodyLimit ?? deps.defaultBodyLimit;
  const { timeout, retries } = route.policy;

  return async function proxy(ctx: EdgeContext): Promise<void> {
    const built = buildPath(target.segments, ctx.state.params ?? {});
    const path = target.basePath && built === '/' ? target.basePath : `${target.basePath}${built}`;
    const headers = requestHeaders(ctx, route, deps);
    let body: Buffer | BodyLimiter | null = null;
    if (ctx.state.body !== undefined) {
      // The body was read and validated against policy.body; send the same JSON, now replayable.
      body = Buffer.from(JSON.stringify(ctx.state.body));
      headers['content-length'] = String(body.length);
    } else if (hasBody(ctx.req)) {
      body = limitedBody(ctx.req, limit);
    }
    const limiter = body instanceof BodyLimiter ? body : undefined;

    // docs/edge-defaults.md: when the client goes away, the upstream call made for it is aborted.
    const clientGone = new ClientGone(ctx.res);

    let response: Awaited<ReturnType<Upstream['dispatch']>>;
    try {
      response = await upstream.dispatch({
        method: ctx.method,
        path: `${path}${ctx.querystring ? `?${ctx.querystring}` : ''}`,
        headers,
        body,
        deadline: ctx.state.deadline ?? Date.now() + timeout,
        signal: clientGone,
        // A streamed body cannot be replayed, so it is sent once whatever the route allows.
        retries: limiter ? 0 : retries,
        operation: route.id,
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
    ctx.status = response.statusCode;
    for (const [name, value] of Object.entries(clientResponseHeaders(response.headers))) ctx.set(name, value);
    if (ctx.method === 'HEAD' || NO_CONTENT.has(response.statusCode)) {
      await response.dump().catch(() => undefined);
      return;
    }
    // A buffered answer goes out with the status line in one write; Koa pipes a streamed one to the client and
    // destroys it if the client goes away.
    ctx.body = response.buffered ?? response.body;
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

function requestHeaders(ctx: EdgeContext, route: RouteDefinition, deps: ProxyDeps): Record<string, string | string[]> {
  const headers = upstreamRequestHeaders(ctx.req.headers, { forwardAuthorization: route.forwardAuthorization, remove: route.headers.remove });
  Object.assign(
    headers,
    route.headers.add,
    forwardingHeaders({
      remoteAddress: ctx.req.socket.remoteAddress ?? '0.0.0.0',
      forwardedFor: ctx.req.headers['x-forwarded-for'],
      forwardedProto: ctx.req.headers['x-forwarded-proto'],
      forwardedHost: ctx.req.headers['x-forwarded-host'],
      host: ctx.req.headers.host,
      protocol: ctx.protocol === 'https' ? 'https' : 'http',
      trustedProxyHops: deps.trustedProxyHops,
    }),
    principalHeaders(ctx.state.principal),
  );
  if (ctx.state.requestId) headers['x-request-id'] = ctx.state.requestId;
  // traceparent is added by the Upstream (its clientSpans dependency), from the call's CLIENT span.
  return headers;
}

function withRetryAfter(fault: EdgeError, retryAfter: string | string[] | undefined): EdgeError {
  const value = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  // Only a delay in seconds is passed on (RFC 9110 §10.2.3); a date could reveal the upstream's clock.
  if (fault.status !== 503 || value === undefined || !/^\d{1,6}$/.test(value)) return fault;
  return new EdgeError(fault.code, { detail: fault.detail, headers: { ...fault.headers, 'Retry-After': value }, cause: fault.cause });
}
