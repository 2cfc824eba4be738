/** The bytes Koa sends for a whole response body, for the slices that must see them before it does. */

/**
 * A Buffer as it is, a string as UTF-8, a plain object or array as Koa serialises it (JSON.stringify, which throws on
 * what cannot be serialised: the error then reaches problem+json as any handler fault); undefined for a stream or
 * anything else.
 */
export function wholeResponseBytes(body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (typeof body === 'object' && body !== null && (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype)) return Buffer.from(JSON.stringify(body), 'utf8');
  return undefined;
}
