/**
 * A byte-counting stream for request bodies without Content-Length (chunked uploads), which requestGuards cannot
 * size up front. The proxy pipes bodies through it; rendering the 413 is problem-middleware's job.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { EdgeError } from '../errors';

/** Thrown by limitBody's stream once more than `maxBytes` have passed. */
export function bodyTooLarge(maxBytes: number): EdgeError {
  return new EdgeError('PAYLOAD_TOO_LARGE', { detail: `the request body exceeds the limit of ${maxBytes} bytes`, headers: { Connection: 'close' } });
}

/** A pass-through stream that errors with PAYLOAD_TOO_LARGE as soon as the bytes through it exceed `maxBytes`. */
export function limitBody(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback) {
      seen += typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : chunk.length;
      // The chunk that crosses the limit is not forwarded: the upstream never sees more than maxBytes.
      if (seen > maxBytes) callback(bodyTooLarge(maxBytes));
      else callback(null, chunk);
    },
  });
}
