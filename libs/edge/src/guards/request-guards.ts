/**
 * App-wide request guards: URL, header and body-size limits and path safety checks (docs/edge-defaults.md "Paths and headers"),
 * enforced before routing and before anything reads the body. Limits Node enforces itself live in server-options.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import type { EdgeConfig } from '../config';
import { EdgeError } from '../errors';
import type { EdgeState } from '../state';
import { checkRequestPath } from './request-path';

/** Limits requestGuards enforces beyond the body size from config. */
export interface GuardLimits {
  /** Longest accepted request target in bytes (default 8 KiB). */
  maxUrlBytes: number;
  /** Most header fields accepted (default 100). */
  maxHeaders: number;
}

/** The docs/edge-defaults.md limits: URL ≤ 8 KiB, ≤ 100 header fields. */
export const DEFAULT_GUARD_LIMITS: Readonly<GuardLimits> = Object.freeze({ maxUrlBytes: 8192, maxHeaders: 100 });

const PLAIN_LENGTH = /^\d+$/;

// Rejections that leave the connection's framing in doubt (or a large unread body) close it after answering.
function refuse(code: 'INVALID_HEADER' | 'PAYLOAD_TOO_LARGE' | 'HEADERS_TOO_LARGE', detail: string): EdgeError {
  return new EdgeError(code, { detail, headers: { Connection: 'close' } });
}

/** Throws for header fields Portico refuses; reads rawHeaders because req.headers already folded duplicates away. */
function checkHeaders(req: IncomingMessage, limits: GuardLimits): void {
  const raw = req.rawHeaders;
  if (raw.length / 2 > limits.maxHeaders) {
    throw refuse('HEADERS_TOO_LARGE', `the request has more than ${limits.maxHeaders} header fields`);
  }
  let hosts = 0;
  const lengths: string[] = [];
  let transferEncoding = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    // Proxies disagree on whether X_User_Id and X-User-Id are the same header; refusing both spellings ends the ambiguity.
    if (name.includes('_')) throw refuse('INVALID_HEADER', `header name "${name}" contains an underscore`);
    if (name === 'host') hosts += 1;
    else if (name === 'content-length') lengths.push(raw[i + 1] ?? '');
    else if (name === 'transfer-encoding') transferEncoding = true;
  }
  // RFC 9112 §3.2: exactly one Host on HTTP/1.1; two Hosts let a cache and a router see different authorities.
  if (hosts > 1) throw refuse('INVALID_HEADER', 'the request has more than one Host header');
  if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    throw refuse('INVALID_HEADER', 'an HTTP/1.1 request must carry a Host header');
  }
  // RFC 9112 §6.1: HTTP/1.0 has no chunked coding; a Transfer-Encoding there is a smuggling attempt or a broken client.
  if (transferEncoding && req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
    throw refuse('INVALID_HEADER', 'Transfer-Encoding is not allowed on HTTP/1.0 requests');
  }
  if (transferEncoding && lengths.length > 0) {
    throw refuse('INVALID_HEADER', 'a request must not carry both Transfer-Encoding and Content-Length');
  }
  if (lengths.length > 1) throw refuse('INVALID_HEADER', 'the request has more than one Content-Length header');
}

/** Throws PAYLOAD_TOO_LARGE when Content-Length announces more than the limit, without touching the body. */
function checkContentLength(req: IncomingMessage, maxBodyBytes: number): void {
  const value = req.headers['content-length'];
  if (value === undefined) return;
  // RFC 9110 §8.6: Content-Length = 1*DIGIT; "+5", "5.0", "0x10" or "5, 5" are refused, not guessed at.
  if (!PLAIN_LENGTH.test(value)) throw refuse('INVALID_HEADER', 'Content-Length must be a non-negative integer');
  if (Number(value) > maxBodyBytes) {
    throw refuse('PAYLOAD_TOO_LARGE', `the request body (${value} bytes) exceeds the limit of ${maxBodyBytes} bytes`);
  }
}

/**
 * The guards as one check on the bare request: throws the EdgeError to answer with — 414 for a long URL, 431 for too
 * many header fields, 400 for duplicate Host, underscored names, Transfer-Encoding on HTTP/1.0 or a bad Content-Length,
 * 413 when Content-Length exceeds `maxBodyBytes`, and 400 INVALID_PATH for unsafe paths.
 */
export function checkRequest(req: IncomingMessage, maxBodyBytes: number, limits: GuardLimits = DEFAULT_GUARD_LIMITS): void {
  const target = req.url ?? '/';
  // The request target reaches us as latin1 text from the parser, one character per byte.
  if (target.length > limits.maxUrlBytes) {
    throw new EdgeError('URI_TOO_LONG', { detail: `the request URL exceeds ${limits.maxUrlBytes} bytes` });
  }
  checkHeaders(req, limits);
  checkContentLength(req, maxBodyBytes);
  checkRequestPath(target);
}

/** Koa middleware refusing malformed or oversized requests before routing (checkRequest). */
export function requestGuards(config: EdgeConfig['http'], limits: Partial<GuardLimits> = {}): Middleware<EdgeState> {
  const effective: GuardLimits = { ...DEFAULT_GUARD_LIMITS, ...limits };
  const maxBodyBytes = config.maxBodyBytes;
  return function requestGuard(ctx, next) {
    checkRequest(ctx.req, maxBodyBytes, effective);
    return next();
  };
}
