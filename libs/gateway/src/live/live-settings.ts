/** The live module's options and defaults (docs/edge-defaults.md "WebSocket"); the defaults are what production gets. */
import type { Authenticator, EdgeLogger, EdgeMetrics, Principal, TraceContext } from '@portico/edge';
import type { OrderEventSource } from './order-event-source';
import type { TicketStore } from './tickets';

/** Limits and timings; every one has a production default in LIVE_DEFAULTS. */
export interface LiveLimits {
  /** Open live connections (WebSocket + SSE) per principal (default 5). */
  perPrincipal: number;
  /** Open live connections per process (default 10 000). */
  perProcess: number;
  /** Largest message a client may send, bytes (default 1 MiB). */
  maxPayloadBytes: number;
  /** Unsent bytes per connection before it is a slow consumer: WebSocket closed with 1013, SSE ended (default 1 MiB). */
  sendBufferBytes: number;
  /** Ping period; a socket that has not answered the previous ping is terminated, so a dead peer goes within 2 periods (default 30 s). */
  pingIntervalMs: number;
  /** SSE heartbeat comment period (default 15 s). */
  sseHeartbeatMs: number;
  /** Messages kept per order for resuming (default 256). */
  replayEvents: number;
  /** How long an order's upstream subscription outlives its last client, so quick reconnects resume exactly (default 30 s). */
  lingerMs: number;
  /** Ticket lifetime (default 30 s). */
  ticketTtlMs: number;
  /** Time a closing peer gets to answer the close frame before its socket is destroyed (default 5 s). */
  closeGraceMs: number;
}

/** The production defaults. */
export const LIVE_DEFAULTS: Readonly<LiveLimits> = Object.freeze({
  perPrincipal: 5,
  perProcess: 10_000,
  maxPayloadBytes: 1_048_576,
  sendBufferBytes: 1_048_576,
  pingIntervalMs: 30_000,
  sseHeartbeatMs: 15_000,
  replayEvents: 256,
  lingerMs: 30_000,
  ticketTtlMs: 30_000,
  closeGraceMs: 5_000,
});

/** What liveOrders needs, created once at start-up. */
export interface LiveOrdersOptions {
  authenticator: Authenticator;
  /** Where order events come from (busEventSource with Redis, UpstreamSseSource without); the module closes it. */
  source: OrderEventSource;
  /** Draining starts the close of every connection with 1001 once `drainDelayMs` has passed. */
  readiness: { isDraining(): boolean };
  logger: EdgeLogger;
  metrics: EdgeMetrics;
  /**
   * The owner (consumer id) of the order, or undefined when there is no such order; compared with the principal's
   * subject. `trace`: the HTTP request's trace context, for the lookup to join its trace (a WebSocket upgrade has none).
   */
  ownerOf(orderId: string, principal: Principal, trace?: TraceContext): Promise<string | undefined>;
  /** Origins a browser may open a WebSocket from; requests without Origin (native clients) pass. `*` allows any. */
  allowedOrigins?: readonly string[];
  /** Scopes the principal must hold (default none). */
  scopes?: readonly string[];
  /** Default MemoryTicketStore; use RedisTicketStore with several replicas. */
  tickets?: TicketStore;
  /** The lifecycle's pre-stop window (DRAIN_DELAY): connections stay open through it, then close with 1001. */
  drainDelayMs?: number;
  limits?: Partial<LiveLimits>;
  now?: () => number;
}
