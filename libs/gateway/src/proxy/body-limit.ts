/**
 * Counts request-body bytes while they stream to the upstream and fails the stream past the route's limit, so
 * chunked bodies are bounded too. Answering 413 is proxy-route.ts's job.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { EdgeError } from '@portico/edge';

/** The error a body over the limit produces; Connection: close so Node does not drain the rest of it. */
export function payloadTooLarge(limit: number): EdgeError {
  return new EdgeError('PAYLOAD_TOO_LARGE', { detail: `request body exceeds ${limit} bytes`, headers: { Connection: 'close' } });
}

/** A pass-through that errors once more than `limit` bytes went through; `exceeded` tells why the upstream call failed. */
export class BodyLimiter extends Transform {
  /** Bytes seen so far. */
  received = 0;
  /** True once the limit was passed. */
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.limit) {
      this.exceeded = true;
      callback(payloadTooLarge(this.limit));
      return;
    }
    callback(null, chunk);
  }
}

/** True when the request carries a body (RFC 9112 §6.3: Transfer-Encoding or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > 0;
}

/**
 * Streams the request through a BodyLimiter. The request is unpiped (not destroyed) on failure, so the socket stays
 * usable for the 413 answer; a client abort fails the limiter, which aborts the upstream call.
 */
export function limitedBody(req: IncomingMessage, limit: number): BodyLimiter {
  const limiter = new BodyLimiter(limit);
  limiter.on('error', () => req.unpipe(limiter));
  req.on('close', () => {
    if (!req.complete) limiter.destroy(new Error('client aborted the request body'));
  });
  req.on('error', (err) => limiter.destroy(err));
  req.pipe(limiter);
  return limiter;
}
