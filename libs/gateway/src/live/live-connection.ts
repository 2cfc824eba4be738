/**
 * One client's live connection, as a feed subscriber: a WebSocket (heartbeats, send-buffer limit, token expiry) or an
 * SSE stream. Messages that arrive before the socket is open wait, after the replay, so order is kept.
 */
import { WebSocket } from 'ws';
import type { SseStream } from '@portico/edge';
import type { FeedSubscriber, LiveMessage } from './order-feeds';
import type { LiveConnection } from './live-connections';
import type { LiveMetrics } from './live-metrics';

/** RFC 6455 §7.4.1 / IANA close codes the module uses. */
export const CLOSE = Object.freeze({ GOING_AWAY: 1001, POLICY: 1008, TRY_AGAIN_LATER: 1013, ABNORMAL: 1006 });

/** Settings shared by every WebSocket connection. */
export interface WsSettings {
  /** Bytes queued unsent beyond which the client is a slow consumer and is closed with 1013. */
  sendBufferBytes: number;
  /** Time a closing peer gets to answer the close frame before its socket is destroyed, ms. */
  closeGraceMs: number;
  metrics: LiveMetrics;
  now: () => number;
}

/** A WebSocket client of one order. */
export class WsConnection implements FeedSubscriber, LiveConnection {
  readonly transport = 'ws' as const;
  readonly ended: Promise<void>;
  private ws: WebSocket | undefined;
  private pending: LiveMessage[] | undefined = [];
  private alive = true;
  private closeCode: number | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private resolveEnded!: () => void;

  constructor(
    private readonly settings: WsSettings,
    /** Token expiry, epoch ms: the socket is closed with 1008 then (docs/edge-defaults.md "WebSocket"). */
    private readonly expiresAtMs: number | undefined,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Takes over the upgraded socket: sends the replay, then whatever arrived meanwhile, then live messages. */
  attach(ws: WebSocket, replay: readonly LiveMessage[], onEnd: () => void): void {
    this.ws = ws;
    this.settings.metrics.opened('ws');
    ws.on('error', () => undefined);
    ws.on('pong', () => (this.alive = true));
    // Clients have nothing to say on this socket; incoming messages (≤ maxPayload) are ignored.
    ws.on('close', (code: number) => {
      clearTimeout(this.expiry);
      this.settings.metrics.closed('ws', this.closeCode ?? code);
      onEnd();
      this.resolveEnded();
    });
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const message of replay) this.send(message);
    for (const message of pending) this.send(message);
    if (this.expiresAtMs !== undefined) {
      this.expiry = setTimeout(() => this.close(CLOSE.POLICY, 'token expired'), Math.max(0, this.expiresAtMs - this.settings.now()));
      this.expiry.unref();
    }
  }

  /** A socket that never opened (the upgrade failed after joining) ends here. */
  abandon(): void {
    this.pending = undefined;
    this.resolveEnded();
  }

  deliver(message: LiveMessage): void {
    if (this.pending) this.pending.push(message);
    else this.send(message);
  }

  heartbeat(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (!this.alive) {
      // No pong since the last ping: the peer is gone or wedged (docs/edge-defaults.md: close idle sockets).
      this.closeCode ??= CLOSE.ABNORMAL;
      ws.terminate();
      return;
    }
    this.alive = false;
    ws.ping();
  }

  close(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws || this.closeCode !== undefined) return;
    this.closeCode = code;
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    // A peer that stopped reading never answers the close frame.
    setTimeout(() => ws.terminate(), this.settings.closeGraceMs).unref();
  }

  private send(message: LiveMessage): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.closeCode !== undefined) return;
    // What the kernel would not take yet stays in this process: past the limit the client is a slow consumer.
    if (ws.bufferedAmount > this.settings.sendBufferBytes) {
      this.close(CLOSE.TRY_AGAIN_LATER, 'slow consumer');
      return;
    }
    ws.send(message.payload, { binary: false });
    this.settings.metrics.sent('ws');
  }
}

/** An SSE client of one order; the stream is opened only once the feed is joined, so failures can still be problems. */
export class SseConnection implements FeedSubscriber, LiveConnection {
  readonly transport = 'sse' as const;
  readonly ended: Promise<void>;
  private stream: SseStream | undefined;
  private pending: LiveMessage[] | undefined = [];
  private expiry: NodeJS.Timeout | undefined;
  private resolveEnded!: () => void;

  constructor(
    private readonly metrics: LiveMetrics,
    /** Token expiry, epoch ms: the stream ends then; the client must reconnect with a fresh token. */
    private readonly expiresAtMs: number | undefined,
    private readonly now: () => number,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Takes over the open stream: the replay, what arrived meanwhile, then live messages. */
  start(stream: SseStream, replay: readonly LiveMessage[], onEnd: () => void): void {
    this.stream = stream;
    this.metrics.opened('sse');
    stream.onClose((reason) => {
      clearTimeout(this.expiry);
      this.metrics.closed('sse', reason);
      onEnd();
      this.resolveEnded();
    });
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const message of [...replay, ...pending]) this.deliver(message);
    if (this.expiresAtMs !== undefined) {
      this.expiry = setTimeout(() => stream.close(), Math.max(0, this.expiresAtMs - this.now()));
      this.expiry.unref();
    }
  }

  /** A stream that never opened ends here. */
  abandon(): void {
    this.pending = undefined;
    this.resolveEnded();
  }

  deliver(message: LiveMessage): void {
    if (this.pending) {
      this.pending.push(message);
      return;
    }
    if (this.stream?.send({ id: message.id, data: message.text })) this.metrics.sent('sse');
  }

  heartbeat(): void {
    // openSse writes its own heartbeat comments.
  }

  close(): void {
    this.stream?.close();
  }
}
