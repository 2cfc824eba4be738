/**
 * The open live connections of one process: slot accounting per principal and per process, the heartbeat sweep
 * (one timer for every socket) and closing everything on shutdown. What a connection does is live-connection.ts's.
 */
import { EdgeError, type Principal } from '@portico/edge';
import type { LiveTransport } from './live-metrics';

/** A WebSocket or SSE connection as the registry sees it. */
export interface LiveConnection {
  readonly transport: LiveTransport;
  /** Pings, or ends a peer that did not answer the previous ping; SSE connections do nothing here. */
  heartbeat(): void;
  /** Closes with the code (WebSocket) or ends the stream (SSE). */
  close(code: number, reason: string): void;
  /** Resolves once the connection is fully closed. */
  readonly ended: Promise<void>;
}

/** Connection caps (docs/edge-defaults.md "WebSocket": sockets per principal and per process). */
export interface ConnectionLimits {
  perPrincipal: number;
  perProcess: number;
}

/** The key a principal's connections are counted under: verified issuer and subject. */
export function principalKey(principal: Principal): string {
  return `${principal.issuer} ${principal.subject}`;
}

/** Counts, heartbeats and shutdown of every live connection in the process. */
export class LiveConnections {
  private readonly open = new Set<LiveConnection>();
  private readonly byPrincipal = new Map<string, number>();
  private reserved = 0;

  constructor(private readonly limits: ConnectionLimits) {}

  /** Connections open or being opened. */
  get size(): number {
    return this.reserved;
  }

  /** Throws CONNECTION_LIMIT (503) when the process is full; checked before any crypto. */
  checkProcess(): void {
    if (this.reserved >= this.limits.perProcess) {
      throw new EdgeError('CONNECTION_LIMIT', { detail: 'This server holds as many live connections as it may', headers: { 'Retry-After': '5' } });
    }
  }

  /** Reserves a slot for the principal or throws (503 process full, 429 too many for this principal); returns the release. */
  reserve(principal: Principal): () => void {
    this.checkProcess();
    const key = principalKey(principal);
    const count = this.byPrincipal.get(key) ?? 0;
    if (count >= this.limits.perPrincipal) {
      throw new EdgeError('RATE_LIMITED', { detail: `At most ${this.limits.perPrincipal} live connections per user`, headers: { 'Retry-After': '5' } });
    }
    this.byPrincipal.set(key, count + 1);
    this.reserved++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved--;
      const left = (this.byPrincipal.get(key) ?? 1) - 1;
      if (left > 0) this.byPrincipal.set(key, left);
      else this.byPrincipal.delete(key);
    };
  }

  /** Tracks an opened connection until it ends. */
  add(connection: LiveConnection): void {
    this.open.add(connection);
    void connection.ended.then(() => this.open.delete(connection));
  }

  /** One heartbeat round over every connection. */
  sweep(): void {
    for (const connection of this.open) connection.heartbeat();
  }

  /** Closes every connection with `code` and waits until all have ended. */
  async closeAll(code: number, reason: string): Promise<void> {
    const all = [...this.open];
    for (const connection of all) connection.close(code, reason);
    await Promise.all(all.map((c) => c.ended));
  }
}
