/**
 * Server-Sent Events writer (WHATWG HTML §9.2): answers a Koa request with a `text/event-stream` written straight to
 * the socket, heartbeat comments, and a bound on what may wait unsent for a slow reader. What to send is the caller's.
 */
import type { EdgeContext } from '../state';

/** How an event stream behaves. */
export interface SseOptions {
  /** A comment line is written this often so proxies and idle timeouts keep the stream open (default 15 s). */
  heartbeatMs?: number;
  /** Reconnection delay suggested to the client (`retry:`), ms (default 3000). */
  retryMs?: number;
  /** Bytes that may wait unsent for a slow reader before the stream is closed (default 1 MiB). */
  maxBufferedBytes?: number;
}

/** One SSE message. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** An open event stream. */
export interface SseStream {
  /** Writes one message; false (and the stream closed) when the reader is too slow or gone. */
  send(message: SseMessage): boolean;
  /** Ends the stream. */
  close(): void;
  /** True once the stream ended, from either side. */
  readonly closed: boolean;
  /** Calls `fn` once when the stream ends, from either side; `slow` tells whether the buffer limit ended it. */
  onClose(fn: (reason: 'client' | 'server' | 'slow') => void): void;
}

/** Serialises a message; multi-line data becomes several `data:` lines, as the format requires. */
export function formatSse(message: SseMessage): string {
  let out = '';
  // An id or event name with a line break would split the message; they come from our own code, but stay safe.
  if (message.id !== undefined) out += `id: ${message.id.replace(/[\r\n]/g, '')}\n`;
  if (message.event !== undefined) out += `event: ${message.event.replace(/[\r\n]/g, '')}\n`;
  for (const line of message.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** The `Last-Event-ID` a reconnecting EventSource sends, if any (at most 200 characters). */
export function lastEventIdOf(ctx: EdgeContext): string | undefined {
  const value = ctx.get('last-event-id');
  return value && value.length <= 200 ? value : undefined;
}

/**
 * Starts the stream on `ctx` (200, `text/event-stream`, no caching or proxy buffering) and takes the response over
 * from Koa (`ctx.respond = false`), so middleware that runs after `next()` sees the status but never touches the body.
 */
export function openSse(ctx: EdgeContext, options: SseOptions = {}): SseStream {
  const res = ctx.res;
  const limit = options.maxBufferedBytes ?? 1_048_576;
  const listeners: Array<(reason: 'client' | 'server' | 'slow') => void> = [];
  let closed = false;
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.status = 200;
  ctx.respond = false;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    'x-request-id': ctx.state.requestId ?? '',
  });
  res.write(`retry: ${options.retryMs ?? 3000}\n\n`);

  const end = (reason: 'client' | 'server' | 'slow'): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    if (reason !== 'client') res.end();
    // A reader that stopped reading never drains what is buffered; do not wait for it.
    if (reason === 'slow') res.destroy();
    for (const fn of listeners.splice(0)) fn(reason);
  };
  const heartbeat = setInterval(() => {
    if (res.writableLength > limit) end('slow');
    else res.write(': heartbeat\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  res.once('close', () => end('client'));

  return {
    send(message) {
      if (closed) return false;
      if (res.writableLength > limit) {
        end('slow');
        return false;
      }
      res.write(formatSse(message));
      return true;
    },
    close: () => end('server'),
    get closed() {
      return closed;
    },
    onClose(fn) {
      if (closed) fn('server');
      else listeners.push(fn);
    },
  };
}
