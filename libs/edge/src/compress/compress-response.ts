/**
 * Koa middleware compressing a route's answer with brotli or gzip, whichever the client's Accept-Encoding prefers
 * (brotli on a tie); a HEAD gets the headers the GET would. It leaves alone what must stay byte-exact or is already
 * encoded: 204/205/304, partial content, `Cache-Control: no-transform`, an upstream's own Content-Encoding, types that
 * do not compress, event streams, answers below the route's threshold. A whole body is compressed at once (on zlib's
 * thread pool past 64 KiB) and sent with its length; a streamed one is compressed chunk by chunk as it flows, and an
 * upstream failure mid-stream aborts the answer rather than leaving the client waiting. Errors are problem-middleware's.
 */
import { promisify } from 'node:util';
import { Readable, pipeline } from 'node:stream';
import { brotliCompress, brotliCompressSync, constants, createBrotliCompress, createGzip, gzip, gzipSync, type BrotliOptions, type ZlibOptions } from 'node:zlib';
import compressible from 'compressible';
import type { Middleware } from 'koa';
import { wholeResponseBytes } from '../body/response-bytes';
import type { EdgeState } from '../state';
import { chooseEncoding } from './accept-encoding';
import type { CompressPolicy } from './policy';

// Brotli 4 compresses JSON smaller than gzip 6 at about its speed; 11, brotli's default, is meant for static assets.
const BROTLI: BrotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };
const GZIP: ZlibOptions = { level: 6 };
const compressAsync = { br: promisify(brotliCompress), gzip: promisify(gzip) } as const;

// Up to this size a body is compressed on the event loop: tens of µs, where handing it to zlib's thread pool cost far
// more (bench/compression.ts: +400 µs/req for brotli on a 4.5 KB answer, with the pool's threads on the same core).
// Larger bodies go to the pool, so a big one never stalls other requests.
const SYNC_MAX_BYTES = 64 * 1024;

// Ranked by the client's q-values; on equal ones, the order of this list.
const ENCODINGS = ['br', 'gzip'] as const;
type Encoding = (typeof ENCODINGS)[number];

const NO_CONTENT = new Set([204, 205, 304]);
// RFC 9111 §5.2.2.6: intermediaries must not transform such a response.
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;

/** Koa middleware: compresses the route's answer when the client accepts it (see above). */
export function compressResponse(policy: CompressPolicy): Middleware<EdgeState> {
  return async function compress(ctx, next) {
    // Set before next(): a cache in front of the service must key every answer of this route by Accept-Encoding.
    ctx.vary('Accept-Encoding');
    // Read now: a response cache further in strips Accept-Encoding so its upstream answers uncompressed bytes.
    const acceptEncoding = ctx.get('Accept-Encoding');
    await next();
    const body: unknown = ctx.body;
    const head = ctx.method === 'HEAD';
    // A proxied HEAD has no body here, only the headers a GET would get: it is answered as that GET would be below.
    if ((!head && (body === null || body === undefined)) || NO_CONTENT.has(ctx.status) || ctx.status === 206 || ctx.res.headersSent) return;
    if (ctx.response.get('Content-Encoding') || ctx.response.get('Content-Range') || NO_TRANSFORM.test(ctx.response.get('Cache-Control'))) return;
    // Events must reach the client as they happen, and they are small: an event stream is never compressed.
    const type = ctx.response.type;
    if (type === 'text/event-stream' || !compressible(type)) return;
    // Negotiated first, so a client that accepts no encoding costs no serialising of a handler's JSON here.
    const encoding = negotiate(acceptEncoding);
    if (!encoding) return;
    const stream = body instanceof Readable ? body : undefined;
    const whole = stream ? undefined : wholeResponseBytes(body);
    const bodiless = head && body === undefined;
    if (!whole && !stream && !bodiless) return;
    const length = whole ? whole.length : Number(ctx.response.get('Content-Length') || NaN);
    if (length < policy.minBytes) return;

    // RFC 9110 §8.8.1: a strong validator names exact bytes, and these are new ones; nginx's gzip weakens it too.
    // Koa's get() answers undefined, not '', for a header that is not set.
    const etag: unknown = ctx.response.get('ETag');
    if (typeof etag === 'string' && etag.startsWith('"')) ctx.set('ETag', `W/${etag}`);
    if (bodiless) {
      // RFC 9110 §9.3.2: HEAD gets GET's header fields, less one only producing the content would tell (the length).
      ctx.set('Content-Encoding', encoding);
      ctx.remove('Content-Length');
      return;
    }
    if (whole) {
      const options = encoding === 'br' ? brotliFor(whole.length) : gzipFor(whole.length);
      const compressed =
        whole.length <= SYNC_MAX_BYTES ? (encoding === 'br' ? brotliCompressSync(whole, options) : gzipSync(whole, options)) : await compressAsync[encoding](whole, options);
      ctx.set('Content-Encoding', encoding);
      // A HEAD's bytes are compressed for its Content-Length but never sent; only answers sent are counted.
      if (!head) ctx.state.compression = { encoding, bytesIn: whole.length, bytesOut: compressed.length };
      // Koa sets Content-Length from the Buffer; the type stays.
      const contentType = ctx.response.get('Content-Type');
      ctx.body = compressed;
      ctx.set('Content-Type', contentType);
      return;
    }
    ctx.set('Content-Encoding', encoding);
    ctx.state.compression = { encoding };
    ctx.remove('Content-Length');
    const contentType = ctx.response.get('Content-Type');
    // Each chunk is flushed as it arrives, so a body the upstream sends in pieces reaches the client in pieces, not
    // when zlib's window fills. pipeline, not pipe: an upstream error destroys the compressor, so Koa aborts the answer;
    // a client going away destroys the compressor, and with it the upstream body.
    const compressor = encoding === 'br' ? createBrotliCompress({ ...BROTLI, flush: constants.BROTLI_OPERATION_FLUSH }) : createGzip({ ...GZIP, flush: constants.Z_SYNC_FLUSH });
    ctx.body = pipeline(stream!, compressor, () => undefined);
    ctx.set('Content-Type', contentType);
  };
}

// A window no larger than the body loses nothing and spares zlib setting up (and clearing) the full-size one.
const windowBits = (length: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.ceil(Math.log2(length + 1))));
const brotliFor = (length: number): BrotliOptions => ({
  params: { ...BROTLI.params, [constants.BROTLI_PARAM_SIZE_HINT]: length, [constants.BROTLI_PARAM_LGWIN]: windowBits(length, constants.BROTLI_MIN_WINDOW_BITS, constants.BROTLI_DEFAULT_WINDOW) },
});
const gzipFor = (length: number): ZlibOptions => ({ ...GZIP, windowBits: windowBits(length, 9, 15) });

/** The encoding to answer with for this Accept-Encoding, or undefined for the body as it is. */
function negotiate(acceptEncoding: string): Encoding | undefined {
  // No header means "any encoding" in RFC 9110 §12.5.3, but clients that send none rarely decode one: answer identity.
  return acceptEncoding ? chooseEncoding(acceptEncoding, ENCODINGS) : undefined;
}
