/**
 * node:http server settings for Portico (docs/edge-defaults.md "Paths and headers"): header limits, slow-client timeouts,
 * keep-alive longer than the load balancer's, and problem+json answers to requests Node refuses before Koa sees them.
 */
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { type ErrorCode, EdgeError, problemBody } from '../errors';
import type { EdgeLogger } from '../state';

/** The server limits from docs/edge-defaults.md. */
export const SERVER_LIMITS = Object.freeze({
  /** Header block ≤ 16 KiB; Node answers 431 past it. */
  maxHeaderSize: 16_384,
  /** At most 100 header fields; requestGuards answers 431 past it. */
  maxHeadersCount: 100,
  /** A whole request must arrive within 30 s. */
  requestTimeoutMs: 30_000,
  /** The header block must arrive within 10 s (slow-loris). */
  headersTimeoutMs: 10_000,
  /** Longer than the load balancer's 60 s idle timeout, so the balancer always closes first and never reuses a closing socket. */
  keepAliveTimeoutMs: 65_000,
  /** How often Node checks the two timeouts above; its 30 s default would let a 10 s limit stretch to 40 s. */
  connectionsCheckingIntervalMs: 1_000,
});

/** Options for http.createServer (Node ≥ 20) carrying Portico's header limits and timeouts. */
export function serverOptions(): ServerOptions {
  return {
    maxHeaderSize: SERVER_LIMITS.maxHeaderSize,
    requestTimeout: SERVER_LIMITS.requestTimeoutMs,
    headersTimeout: SERVER_LIMITS.headersTimeoutMs,
    keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
    connectionsCheckingInterval: SERVER_LIMITS.connectionsCheckingIntervalMs,
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
    // requestGuards answers a missing Host with problem+json; Node's own check would send a bare 400.
    requireHostHeader: false,
  };
}

/** Applies the timeouts and header-count limit to an existing server (e.g. one Koa's app.listen created); returns it. */
export function applyServerTimeouts<S extends Server>(server: S): S {
  server.headersTimeout = SERVER_LIMITS.headersTimeoutMs;
  server.requestTimeout = SERVER_LIMITS.requestTimeoutMs;
  server.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeoutMs;
  // Node silently drops fields past maxHeadersCount. Keeping one more than the limit lets requestGuards see
  // the 101st field and refuse the request with 431 instead of forwarding a truncated header set.
  server.maxHeadersCount = SERVER_LIMITS.maxHeadersCount + 1;
  return server;
}

interface ClientErrorAnswer {
  code: ErrorCode;
  detail: string;
}

// llhttp error codes → what the client is told. Anything unlisted is a malformed request.
const ANSWERS: Record<string, ClientErrorAnswer> = {
  HPE_HEADER_OVERFLOW: { code: 'HEADERS_TOO_LARGE', detail: `the request header block exceeds ${SERVER_LIMITS.maxHeaderSize} bytes` },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'REQUEST_TIMEOUT', detail: 'the request did not arrive in time' },
  HPE_INVALID_URL: { code: 'INVALID_PATH', detail: 'the request target contains characters not allowed in a URL' },
  HPE_INVALID_HEADER_TOKEN: { code: 'INVALID_HEADER', detail: 'a header field is malformed' },
  HPE_INVALID_CONTENT_LENGTH: { code: 'INVALID_HEADER', detail: 'Content-Length must be a non-negative integer' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { code: 'INVALID_HEADER', detail: 'Content-Length is duplicated or combined with Transfer-Encoding' },
  HPE_INVALID_TRANSFER_ENCODING: { code: 'INVALID_HEADER', detail: 'Transfer-Encoding is malformed' },
};
const MALFORMED: ClientErrorAnswer = { code: 'BAD_REQUEST', detail: 'the request is not valid HTTP/1.1' };

/** The raw HTTP/1.1 response written for a request Node's parser refused. */
export function clientErrorResponse(errorCode: string | undefined): string {
  const answer = (errorCode && ANSWERS[errorCode]) || MALFORMED;
  const err = new EdgeError(answer.code, { detail: answer.detail });
  const body = JSON.stringify(problemBody(err));
  return [
    `HTTP/1.1 ${err.status} ${err.title}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Installs a 'clientError' handler answering requests Node refuses before Koa (oversized headers → 431, parse
 * errors → 400, header timeouts → 408) with problem+json and `Connection: close`; it never throws. Returns the server.
 */
export function handleClientError<S extends Server>(server: S, logger: EdgeLogger): S {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    try {
      const code = err.code;
      // A response already under way on this socket cannot be followed by another status line.
      const busy = (socket as Socket & { _httpMessage?: unknown })._httpMessage != null;
      if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable || busy) {
        logger.debug({ code }, 'client connection error');
        socket.destroy();
        return;
      }
      logger.info({ code, remoteAddress: socket.remoteAddress }, 'refused a request Node could not parse');
      socket.end(clientErrorResponse(code), () => socket.destroy());
    } catch (failure) {
      logger.warn({ err: failure }, 'could not answer a refused request');
      socket.destroy();
    }
  });
  return server;
}
