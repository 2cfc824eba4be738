/**
 * The outermost middleware: request id, client address and a per-request logger, then exactly one access-log line
 * when the response finishes or the client goes away. Rendering errors is problem-middleware's job.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { EdgeLogger, EdgeState } from '../state';
import { currentTraceId } from '../telemetry';
import { clientAddressFrom } from './client-address';
import { AccessLog, type AccessLine } from './access-line';

/** Collaborators for requestContext. */
export interface RequestContextDeps {
  /** The service logger; each request gets a child bound to its request id. */
  logger: EdgeLogger;
  /** How many proxies in front of the service append to X-Forwarded-For (EdgeConfig http.trustedProxyHops). */
  trustedProxyHops: number;
}

/** The incoming X-Request-Id is kept only when it matches this; anything else could inject into logs. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

// Probes and scrapes arrive every few seconds from every replica's orchestrator; keep them out of info logs.
const QUIET_PATHS = new Set(['/livez', '/readyz', '/metrics']);

/** Koa middleware: sets ctx.state.requestId, clientAddress and log, echoes X-Request-Id and writes the access log. */
export function requestContext(deps: RequestContextDeps): Middleware<EdgeState> {
  const { logger, trustedProxyHops } = deps;
  const accessLogger = accessLoggerOf(logger);
  return function requestContextMiddleware(ctx, next) {
    const started = performance.now();
    const requestId = requestIdOf(ctx.req.headers['x-request-id']);
    ctx.state = new RequestState(ctx.state, logger, requestId) as unknown as EdgeState;
    ctx.state.clientAddress = clientAddressFrom(ctx.req.socket.remoteAddress, ctx.req.headers['x-forwarded-for'], trustedProxyHops);
    // Set before next() so the id survives a failure: problem-middleware keeps X-Request-Id on error responses.
    ctx.set('X-Request-Id', requestId);
    const traceId = currentTraceId(ctx.state.trace);
    whenResponseDone(ctx.res, () => {
      const { route, principal, rateLimit, cache, clientAddress } = ctx.state;
      logAccess(accessLogger, ctx.res, { requestId, traceId, method: ctx.method, path: ctx.path, route, principal, clientAddress, rateLimit, cache }, started);
    });
    return next();
  };
}

/** The request id to use: a valid incoming X-Request-Id (REQUEST_ID_PATTERN), otherwise a new UUID. */
export function requestIdOf(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}

/**
 * Calls `fn` once the response is done: node:http emits 'close' on every response, after 'finish' when it was sent
 * whole and on its own when the client went away first (res.writableFinished tells which).
 */
export function whenResponseDone(res: ServerResponse, fn: () => void): void {
  res.once('close', fn);
}

// Most requests never log beyond the access line, and pino's child() serialises its bindings (~1.3 µs): the child is
// made on first read of ctx.state.log, by a getter on the class (defining it per request on a plain object cost more
// than the child it saves). Assigning ctx.state.log still replaces it, as for a plain field.
class RequestState {
  #child: EdgeLogger | undefined;
  readonly #logger: EdgeLogger;
  requestId: string;

  constructor(earlier: object, logger: EdgeLogger, requestId: string) {
    // Whatever was put on ctx.state before this middleware ran stays.
    Object.assign(this, earlier);
    this.#logger = logger;
    this.requestId = requestId;
  }

  get log(): EdgeLogger {
    return (this.#child ??= this.#logger.child({ requestId: this.requestId }));
  }

  set log(value: EdgeLogger) {
    this.#child = value;
  }
}

// The access line is built in accessLog from fixed fields that never hold headers or credentials, so the service
// logger's redaction paths cannot match it, yet pino runs its wildcard redactor (`*.headers…`) once per top-level key
// of every line: ~10% of the edge stack's CPU per request (bench/edge-stack.ts). pino's child(bindings, { redact })
// replaces redaction for that child only; same destination, level and base fields. Other loggers are used as given.
/** Where access lines go: the service logger without redaction (see above), written by AccessLog. Made once per app. */
export function accessLoggerOf(logger: EdgeLogger): AccessLog {
  const pinoLogger = logger as Partial<Logger>;
  if (pinoLogger.levels === undefined || typeof pinoLogger.child !== 'function') return new AccessLog(logger);
  return new AccessLog(pinoLogger.child({}, { redact: [] }));
}

/** What one access line says about a request, beyond what the response itself tells. */
export interface AccessFacts {
  requestId: string;
  traceId: string | undefined;
  method: string;
  /** The path as routed; probes and scrapes are logged at debug. */
  path: string;
  route?: EdgeState['route'];
  principal?: EdgeState['principal'];
  clientAddress?: string;
  rateLimit?: EdgeState['rateLimit'];
  cache?: EdgeState['cache'];
  /** The answer's Content-Length when headers went out through writeHead(status, object), which getHeader cannot see. */
  contentLength?: number;
}

/** Writes the one access line of a finished (or abandoned) response; `log` comes from accessLoggerOf. */
export function logAccess(log: AccessLog, res: ServerResponse, facts: AccessFacts, started: number): void {
  const aborted = !res.writableFinished;
  // 499 (nginx's "client closed request") when the client left before a status line went out.
  const status = aborted && !res.headersSent ? 499 : res.statusCode;
  const { route, principal, rateLimit, cache } = facts;
  const length = facts.contentLength ?? Number(res.getHeader('content-length'));
  const line: AccessLine = {
    requestId: facts.requestId,
    traceId: facts.traceId ?? null,
    method: facts.method,
    route: route ? { id: route.id, template: route.template } : null,
    status,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    clientId: principal ? (principal.clientId ?? principal.subject) : null,
    clientAddress: facts.clientAddress,
    bytes: Number.isFinite(length) ? length : null,
    cache: cache ?? null,
    rateLimited: rateLimit ? !rateLimit.allowed : false,
  };
  if (aborted) line.aborted = true;
  log.write(QUIET_PATHS.has(facts.path) ? 'debug' : status >= 500 ? 'warn' : 'info', line);
}
