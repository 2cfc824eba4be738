/**
 * The outermost middleware: request id, client address and a per-request logger, then exactly one access-log line
 * when the response finishes or the client goes away. Rendering errors is problem-middleware's job.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { EdgeContext, EdgeLogger, EdgeState } from '../state';
import { currentTraceId } from '../telemetry';
import { clientAddressFrom } from './client-address';

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
  const accessLogger = withoutRedaction(logger);
  return async function requestContextMiddleware(ctx, next) {
    const started = performance.now();
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    ctx.state = new RequestState(ctx.state, logger, requestId) as unknown as EdgeState;
    ctx.state.clientAddress = clientAddressFrom(ctx.req.socket.remoteAddress, ctx.req.headers['x-forwarded-for'], trustedProxyHops);
    // Set before next() so the id survives a failure: problem-middleware keeps X-Request-Id on error responses.
    ctx.set('X-Request-Id', requestId);
    // Captured now: the server span is active here, but maybe not in the 'finish' listener.
    const traceId = currentTraceId();

    let written = false;
    const writeLine = (): void => {
      if (written) return;
      written = true;
      ctx.res.off('finish', writeLine);
      ctx.res.off('close', writeLine);
      accessLog(ctx, accessLogger, requestId, traceId, started);
    };
    ctx.res.once('finish', writeLine);
    ctx.res.once('close', writeLine);
    await next();
  };
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
function withoutRedaction(logger: EdgeLogger): EdgeLogger {
  const pinoLogger = logger as Partial<Logger>;
  if (pinoLogger.levels === undefined || typeof pinoLogger.child !== 'function') return logger;
  return pinoLogger.child({}, { redact: [] });
}

function accessLog(ctx: EdgeContext, logger: EdgeLogger, requestId: string, traceId: string | undefined, started: number): void {
  const res = ctx.res;
  const aborted = !res.writableFinished;
  // 499 (nginx's "client closed request") when the client left before a status line went out.
  const status = aborted && !res.headersSent ? 499 : res.statusCode;
  const { route, principal, rateLimit, cache } = ctx.state;
  const length = Number(res.getHeader('content-length'));
  const line = {
    requestId,
    traceId: traceId ?? null,
    method: ctx.method,
    route: route ? { id: route.id, template: route.template } : null,
    status,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    clientId: principal ? (principal.clientId ?? principal.subject) : null,
    clientAddress: ctx.state.clientAddress,
    bytes: Number.isFinite(length) ? length : null,
    cache: cache ?? null,
    rateLimited: rateLimit ? !rateLimit.allowed : false,
    ...(aborted ? { aborted: true } : {}),
  };
  if (QUIET_PATHS.has(ctx.path)) logger.debug(line, 'request');
  else if (status >= 500) logger.warn(line, 'request');
  else logger.info(line, 'request');
}
