/** Renders every failure as RFC 9457 application/problem+json with the request id. Unknown errors become a generic 500; clients never see stacks or upstream internals. */
import type { ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import { catalogue, problemType, type ErrorCode } from './catalogue';
import { EdgeError, isEdgeError } from './edge-error';
import type { EdgeContext, EdgeLogger, EdgeState } from '../state';

/** The JSON body of a problem response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  [extension: string]: unknown;
}

/** Collaborators for problemMiddleware. */
export interface ProblemDeps {
  /** Used when the request has no logger of its own yet. */
  logger?: EdgeLogger;
}

const PROBLEM_JSON = 'application/problem+json';

// Headers that still describe the answer after a failure; every other header set before the error is dropped.
const KEEP_ON_ERROR = /^(x-request-id$|ratelimit|retry-after$|access-control-|vary$|allow$)/i;

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  501: 'NOT_IMPLEMENTED',
  503: 'UPSTREAM_UNAVAILABLE',
};

/** Turns anything thrown into an EdgeError; errors we cannot vouch for become INTERNAL. */
export function toEdgeError(err: unknown): EdgeError {
  if (isEdgeError(err)) return err;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown; type?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  // Koa/http-errors mark client errors as `expose`; their message is safe (e.g. raw-body's "request entity too large").
  if (status >= 400 && status < 500 && e?.expose === true) {
    const code = BY_STATUS[status] ?? 'BAD_REQUEST';
    if (e.type === 'entity.parse.failed') return new EdgeError('MALFORMED_JSON', { cause: err });
    return new EdgeError(code, { detail: typeof e.message === 'string' ? e.message : undefined, cause: err });
  }
  return new EdgeError('INTERNAL', { cause: err });
}

/** Builds the problem body for an error, without touching a response. */
export function problemBody(err: EdgeError, requestId?: string, instance?: string): ProblemBody {
  // RFC 9457's members first, as a reader of the JSON expects them; an extension never replaces one of them.
  const body: ProblemBody = { type: problemType(err.code), title: catalogue[err.code].title, status: err.status };
  if (err.detail !== undefined) body.detail = err.detail;
  if (instance !== undefined) body.instance = instance;
  for (const [name, value] of Object.entries(err.extensions ?? {})) if (!(name in body)) body[name] = value;
  if (requestId !== undefined) body.requestId = requestId;
  return body;
}

/** Writes a problem response onto ctx, replacing whatever was set before the failure. */
export function renderProblem(ctx: EdgeContext, err: EdgeError): void {
  for (const name of ctx.response.headers ? Object.keys(ctx.response.headers) : []) {
    if (!KEEP_ON_ERROR.test(name)) ctx.remove(name);
  }
  for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
  ctx.status = err.status;
  ctx.type = PROBLEM_JSON;
  ctx.body = problemBody(err, ctx.state.requestId);
}

/** Koa middleware: catches everything below it and answers problem+json; an unmatched request becomes NOT_FOUND. */
export function problemMiddleware(deps: ProblemDeps = {}): Middleware<EdgeState> {
  return async function problemJson(ctx, next) {
    try {
      await next();
      if (ctx.body == null && ctx.status >= 400) {
        // A status set without a body (an unmatched path, a router's 405 with its Allow header) still gets a problem.
        if (ctx.status === 404) throw new EdgeError('NOT_FOUND', { detail: 'No route matches this path' });
        throw new EdgeError(BY_STATUS[ctx.status] ?? (ctx.status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'));
      }
    } catch (thrown) {
      const err = toEdgeError(thrown);
      logFailure(ctx.state.log ?? deps.logger, thrown, err, ctx.state.route?.id, ctx.state.requestId);
      if (ctx.headerSent || !ctx.writable) {
        // The status line is gone; the only honest signal left is an aborted response.
        ctx.res.destroy();
        return;
      }
      renderProblem(ctx, err);
    }
  };
}

// 503s that report this process's own state (a readiness probe while starting or draining, a live connection refused
// while shutting down): Readiness and shutdown log each change once, and probes arrive every few seconds.
const STATE_ANSWERS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NOT_READY', 'DRAINING']);

/**
 * Logs a failure that becomes a 5xx: an unexpected error with its stack, a mapped fault (502/503/504…) as a warning;
 * answers about the process's own state are not failures (STATE_ANSWERS).
 */
export function logFailure(log: EdgeLogger | undefined, thrown: unknown, err: EdgeError, routeId: string | undefined, requestId: string | undefined): void {
  if (err.code === 'INTERNAL') {
    log?.error({ err: thrown, route: routeId, requestId }, 'unhandled error');
  } else if (err.status >= 500 && !STATE_ANSWERS.has(err.code)) {
    log?.warn({ code: err.code, detail: err.detail, cause: describeCause(err.cause), route: routeId, requestId }, 'request failed');
  }
}

/**
 * Answers a problem on a bare ServerResponse whose headers are not sent yet, as renderProblem does on a Koa context:
 * the error's headers, the request id, application/problem+json.
 */
export function writeProblem(res: ServerResponse, err: EdgeError, requestId: string): void {
  const body = JSON.stringify(problemBody(err, requestId));
  res.writeHead(err.status, {
    ...err.headers,
    'x-request-id': requestId,
    'content-type': PROBLEM_JSON,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return `${cause.name}: ${(cause as { code?: string }).code ?? cause.message}`;
  return String(cause);
}
