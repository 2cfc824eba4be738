/**
 * Koa middleware giving a route's answers a validator and answering revalidations: a 200 to GET or HEAD gets an ETag
 * (the upstream's own if it sent one, else a weak one hashed from the whole body), and a request whose If-None-Match
 * matches it gets 304 Not Modified with no body (RFC 9110 §13.1.2, §15.4.5). A streamed body without the upstream's
 * ETag gets none: it would have to be held back to be hashed. Nor does a partial answer: a client polling it must not
 * keep a degraded copy as current.
 *
 * The ETag is weak because the bytes on the wire differ by Content-Encoding while the JSON is the same: a compressed
 * answer and its 304 then carry the same validator, which compression leaves as it is.
 */
import type { Middleware } from 'koa';
import calculateEtag from 'etag';
import fresh from 'fresh';
import { wholeResponseBytes } from '../body/response-bytes';
import { isPartialAnswer, type EdgeContext, type EdgeState } from '../state';

/** Koa middleware: ETag on the route's 200s to GET/HEAD, 304 when the client's copy is current (see above). */
export function conditionalGet(): Middleware<EdgeState> {
  return async function conditional(ctx, next) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    // Read now: a response cache further in strips the conditional headers so its upstream answers a full 200.
    // Only If-None-Match: the answer it is compared with is the one about to be sent, so a request's
    // Cache-Control: no-cache (which fetch() adds to every request revalidating by hand) changes nothing but the bytes.
    const request = { 'if-none-match': ctx.get('If-None-Match') || undefined };
    await next();
    const etag = validatorOf(ctx);
    if (etag !== undefined && request['if-none-match'] !== undefined && fresh(request, { etag })) {
      // Koa drops the body and its Content-Type and Content-Length for a 304; ETag, Vary and Cache-Control stay.
      ctx.status = 304;
      ctx.body = null;
    }
  };
}

/**
 * Koa middleware for a route that also has a response cache, placed below it: the answer gets its ETag before the
 * cache stores it, so every hit carries the stored one and conditionalGet above compares without hashing again.
 */
export function assignEtag(): Middleware<EdgeState> {
  return async function assignEtag(ctx, next) {
    await next();
    if (ctx.method === 'GET' || ctx.method === 'HEAD') validatorOf(ctx);
  };
}

// The answer's ETag, set now if it has none and can have one; undefined for an answer that gets none.
function validatorOf(ctx: EdgeContext): string | undefined {
  if (ctx.status !== 200 || ctx.res.headersSent) return undefined;
  if (isPartialAnswer(ctx)) {
    ctx.remove('ETag');
    return undefined;
  }
  const own = ctx.response.get('ETag');
  if (own) return own;
  const bytes = wholeResponseBytes(ctx.body);
  if (bytes === undefined) return undefined;
  // The bytes Koa would send anyway: serialised once here, not again when it answers.
  if (bytes !== ctx.body) ctx.body = bytes;
  const etag = calculateEtag(bytes, { weak: true });
  ctx.set('ETag', etag);
  return etag;
}
