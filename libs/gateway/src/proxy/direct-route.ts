/**
 * Direct routes: a proxied or `compose:` route with no edge functions (`auth: none`, no rate limit, no cache, no body
 * schema) is served on node:http without a Koa context. It gets what the full stack gives every request — the request
 * guards, the request id, the route's body limit and deadline, the forwarding of proxy-route.ts or the composition of
 * compose/declarative.ts, problem+json for faults, request metrics and the access line — from the same functions, and
 * pays none of the middleware layers it has no use for (docs/benchmarks.md, proxy-baselines: the layers cost more than
 * the forwarding itself).
 *
 * Everything else goes to the Koa app, which answers it as before: unmatched paths and wrong methods, routes with edge
 * functions, gRPC/handler routes, requests a guard refuses or whose declared body is over the route's limit,
 * the probe and scrape paths, traced requests while telemetry runs (the server span is the Koa stack's), and every
 * request of a service that has CORS or mounted extension middleware (they run before routing).
 *
 * A step added to the edge app's chain needs its counterpart here, or must turn direct routes off: the direct-route
 * tests list the chain's steps and fail when one appears that this file has not answered for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { pipeline } from 'node:stream';
import {
  LIVENESS_PATH,
  METRICS_PATH,
  READINESS_PATH,
  accessLoggerOf,
  checkRequest,
  clientAddressFrom,
  isTelemetryStarted,
  logAccess,
  logFailure,
  recordRequest,
  requestIdOf,
  toEdgeError,
  whenResponseDone,
  writeProblem,
  type EdgeLogger,
  type EdgeMetrics,
} from '@portico/edge';
import { normalisePath } from '../routing-map/normalise-path';
import { bodyLimitOf, type CompiledRoute, type CompiledRoutingMap } from '../router/compile-routes';
import { NO_CONTENT, type Forwarded } from './proxy-route';

/** What the direct routes share with the app they sit in front of. */
export interface DirectRouteDeps {
  /** The routing map in force (the router's; a reload swaps it for both). */
  current(): CompiledRoutingMap;
  logger: EdgeLogger;
  metrics: EdgeMetrics;
  /** The guards' body limit (the BFF leaves it to each route: Number.MAX_SAFE_INTEGER). */
  maxBodyBytes: number;
  /** MAX_BODY_SIZE: the body limit of routes that set none. */
  defaultBodyLimit: number;
  /** TRUSTED_PROXY_HOPS. */
  trustedProxyHops: number;
  /** False while the service has middleware that must see every request (CORS, mounted extensions). */
  enabled(): boolean;
}

// Answered by the edge app itself (health/, metrics/), whatever the routing map says.
const RESERVED = new Set([LIVENESS_PATH, READINESS_PATH, METRICS_PATH]);

/** The server's front handler (serve()'s `front`): takes a request of a direct route and returns true, else false. */
export function directRoutes(deps: DirectRouteDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const accessLogger = accessLoggerOf(deps.logger);

  return function direct(req, res) {
    const map = deps.current();
    // A map without direct routes costs every request nothing more than this check.
    if (!map.hasDirect || !deps.enabled() || isTelemetryStarted()) return false;
    const url = req.url ?? '';
    const method = req.method ?? 'GET';
    // Origin-form targets only; anything unusual is the Koa app's to parse and answer.
    if (url.charCodeAt(0) !== 0x2f || url.includes('#')) return false;
    const query = url.indexOf('?');
    let path: string;
    let route: CompiledRoute;
    let params: Record<string, string>;
    try {
      // Matched first, so a request of another route pays no guard twice; the app runs the guards for it.
      path = normalisePath(query === -1 ? url : url.slice(0, query));
      const match = map.table.match(method, path);
      if (match.kind !== 'found' || !match.value.direct) return false;
      ({ value: route, params } = match);
      // A refusal is left to the app, which runs the same guards and answers it with its problem.
      checkRequest(req, deps.maxBodyBytes);
    } catch {
      return false;
    }
    if (RESERVED.has(path)) return false;
    // The app answers a declared body over the route's limit (413, Connection: close).
    if (Number(req.headers['content-length'] ?? 0) > bodyLimitOf(route.definition, deps.defaultBodyLimit)) return false;
    void answer(req, res, route, params, path, query === -1 ? '' : url.slice(query + 1));
    return true;
  };

  async function answer(req: IncomingMessage, res: ServerResponse, route: CompiledRoute, params: Record<string, string>, path: string, querystring: string): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const requestId = requestIdOf(req.headers['x-request-id']);
    const clientAddress = clientAddressFrom(req.socket.remoteAddress, req.headers['x-forwarded-for'], deps.trustedProxyHops);
    const routeInfo = { id: route.id, template: route.template };
    let contentLength: number | undefined;
    whenResponseDone(res, () => logAccess(accessLogger, res, { requestId, traceId: undefined, method, path, route: routeInfo, clientAddress, contentLength }, started));
    deps.metrics.inflight.inc();
    let status = 0;
    let failureCode: string | undefined;
    try {
      const answer = await route.direct!({
        req,
        res,
        method,
        params,
        querystring,
        https: (req.socket as TLSSocket).encrypted === true,
        requestId,
        deadline: Date.now() + route.definition.policy.timeout,
      });
      status = answer.status;
      contentLength = write(res, answer, requestId);
    } catch (thrown) {
      const err = toEdgeError(thrown);
      status = err.status;
      failureCode = err.code;
      logFailure(deps.logger, thrown, err, route.id, requestId);
      // Once the status line is gone the only honest signal left is an aborted response.
      if (res.headersSent || res.destroyed) res.destroy();
      else writeProblem(res, err, requestId);
    } finally {
      deps.metrics.inflight.dec();
      recordRequest(deps.metrics, { route: route.template, path, method, status, failureCode }, (performance.now() - started) / 1000);
    }
  }
}

/** Writes an answer as Koa's respond() would for the same ctx.status, headers and body; returns its Content-Length. */
function write(res: ServerResponse, answer: Forwarded, requestId: string): number | undefined {
  if (res.destroyed) return undefined;
  // The forwarder's headers are a fresh object, ours to add to. The upstream's own X-Request-Id (the one it was
  // sent) wins, as when Koa sets the upstream's headers after ours.
  const headers: Record<string, string | string[] | number> = answer.headers;
  headers['x-request-id'] ??= requestId;
  const body = answer.body;
  // Koa answers these statuses without content headers (RFC 9110 §6.4.1); a direct answer does the same.
  if (NO_CONTENT.has(answer.status)) {
    delete headers['content-type'];
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end();
    return undefined;
  }
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/octet-stream';
  if (Buffer.isBuffer(body)) {
    headers['content-length'] = body.length;
    res.writeHead(answer.status, headers);
    res.end(body);
    return body.length;
  }
  res.writeHead(answer.status, headers);
  if (body === undefined) res.end();
  // pipeline destroys the upstream body when the client goes away, and the response when the upstream fails mid-body.
  else pipeline(body, res, () => undefined);
  const declared = Number(headers['content-length']);
  return Number.isFinite(declared) ? declared : undefined;
}
