/**
 * Reads the body the route's chain produced (Buffer, string, JSON object or a Readable the proxy streams) into
 * bytes for the store, up to a size limit, while leaving the client's response complete and unchanged.
 * Deciding whether the response may be stored at all is cacheability's job.
 */
import { Readable } from 'node:stream';
import { EdgeError, isEdgeError } from '../errors';
import type { EdgeContext } from '../state';

function isReadable(body: unknown): body is Readable {
  return (
    body !== null && typeof body === 'object' && typeof (body as Readable).pipe === 'function' && typeof (body as Readable)[Symbol.asyncIterator] === 'function'
  );
}

function isPlainJson(body: object): boolean {
  // Koa sends these by streaming or reading them itself; they are never stored.
  return !(body instanceof ReadableStream || body instanceof Blob || body instanceof Response || ArrayBuffer.isView(body));
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('response stream produced a non-byte chunk');
}

/** A byte stream that first replays `head`, then passes on whatever `rest` still yields. */
function replayThenPipe(head: readonly Buffer[], rest: AsyncIterator<unknown>): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    yield* head;
    try {
      for (;;) {
        const next = await rest.next();
        if (next.done) return;
        yield toBuffer(next.value);
      }
    } finally {
      // When the client goes away Koa destroys this stream; returning the source iterator destroys the upstream body.
      await rest.return?.();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * Reads a streamed body into memory up to `maxBytes`. When it fits, ctx.body becomes the Buffer and it is returned.
 * When it does not, ctx.body becomes a stream replaying what was read and then the rest, and undefined is returned.
 */
async function captureStream(ctx: EdgeContext, source: Readable, maxBytes: number): Promise<Buffer | undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await iterator.next();
    } catch (err) {
      // Nothing has been sent yet, so the client gets a clean problem answer instead of a cut-off body.
      if (isEdgeError(err)) throw err;
      throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: 'the response body failed before it was complete', cause: err });
    }
    if (next.done) break;
    const chunk = toBuffer(next.value);
    chunks.push(chunk);
    size += chunk.length;
    if (size > maxBytes) {
      const length = ctx.response.headers['content-length'];
      ctx.body = replayThenPipe(chunks, iterator);
      // Koa drops Content-Length when the body stream is replaced; the bytes are the same, so the length still holds.
      if (length !== undefined) ctx.set('Content-Length', String(length));
      return undefined;
    }
  }
  const body = Buffer.concat(chunks, size);
  ctx.body = body;
  return body;
}

/**
 * The exact bytes the client receives for ctx.body, or undefined when the body is larger than `maxBytes` or of a
 * kind that is not stored (web streams, Blobs). A streamed body is read here; the client still receives all of it.
 */
export async function captureBody(ctx: EdgeContext, maxBytes: number): Promise<Buffer | undefined> {
  const body: unknown = ctx.body;
  if (Buffer.isBuffer(body)) return body.length <= maxBytes ? body : undefined;
  if (typeof body === 'string') {
    return Buffer.byteLength(body) <= maxBytes ? Buffer.from(body, 'utf8') : undefined;
  }
  if (isReadable(body)) return captureStream(ctx, body, maxBytes);
  if (body !== null && typeof body === 'object' && isPlainJson(body)) {
    // Koa sends an object as JSON.stringify(body) (koa/lib/application.js respond), so these are the bytes sent.
    let text: string | undefined;
    try {
      text = JSON.stringify(body);
    } catch {
      return undefined; // Koa will fail the same way when it responds; that failure is not the cache's to report.
    }
    if (text === undefined || Buffer.byteLength(text) > maxBytes) return undefined;
    return Buffer.from(text, 'utf8');
  }
  return undefined;
}
