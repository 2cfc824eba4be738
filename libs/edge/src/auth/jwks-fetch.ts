/** One bounded JWKS download over undici: a hard timeout, no redirects, and a response size cap enforced while streaming. Caching is jwks-cache's job. */
import type { Dispatcher } from 'undici';
import { Client, dispatcherRequest } from '../undici';

/** Limits for one JWKS download. */
export interface JwksFetchOptions {
  /** Whole-request budget, ms (docs/edge-defaults.md: 2 s). */
  timeoutMs: number;
  /** Largest accepted body, bytes; the download is aborted beyond it. */
  maxBytes: number;
  /** Aborts the download early, e.g. on close(). */
  signal?: AbortSignal;
  /** undici dispatcher to use instead of a connection of its own (closed after the download). */
  dispatcher?: Dispatcher;
}

/** Downloads and parses a JWKS document; throws an Error whose message is fit for logs (never for clients). */
export async function fetchJwks(url: string, options: JwksFetchOptions): Promise<unknown> {
  const signals = [AbortSignal.timeout(options.timeoutMs)];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  const target = new URL(url);
  // A download every few minutes at most: one connection of its own, closed afterwards, rather than a pool kept open.
  const own = options.dispatcher ? undefined : new Client(target.origin, { connectTimeout: options.timeoutMs });
  const dispatcher = options.dispatcher ?? own!;
  let res: Dispatcher.ResponseData;
  try {
    res = await dispatcherRequest(dispatcher, {
      origin: target.origin,
      path: target.pathname + target.search,
      method: 'GET',
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  } catch (err) {
    void own?.destroy();
    throw new Error(`JWKS fetch failed: ${describe(err, signal)}`, { cause: err });
  }
  try {
    if (res.statusCode !== 200) throw new Error(`JWKS fetch failed: HTTP ${res.statusCode}`);
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) throw new Error(`JWKS fetch failed: body of ${declared} bytes exceeds ${options.maxBytes}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > options.maxBytes) throw new Error(`JWKS fetch failed: body exceeds ${options.maxBytes} bytes`);
      chunks.push(chunk as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      throw new Error('JWKS fetch failed: body is not JSON', { cause: err });
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('JWKS fetch failed')) throw err;
    throw new Error(`JWKS fetch failed: ${describe(err, signal)}`, { cause: err });
  } finally {
    // Frees the socket whether or not the body was read to the end. Destroying an unread undici body emits an
    // 'error' (RequestAbortedError) a tick later: without a listener that would be an uncaught exception.
    if (!res.body.destroyed) {
      res.body.on('error', () => undefined);
      res.body.destroy();
    }
    void own?.destroy();
  }
}

function describe(err: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError') return 'timed out';
  if (signal.aborted) return 'aborted';
  const e = err as { code?: string; message?: string } | null;
  return e?.code ?? e?.message ?? String(err);
}
