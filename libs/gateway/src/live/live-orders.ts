/**
 * liveOrders: `GET /orders/:orderId/live` as a WebSocket (and, through live-http.ts, as SSE). The upgrade is
 * authenticated with the BFF's JWT rules, checked against the Origin allow-list, the order's owner and the connection
 * limits, and refused as problem+json before it completes; then every event of the order is pushed as one JSON text
 * message. Heartbeats, slow consumers (1013), token expiry (1008) and shutdown (1001) follow docs/edge-defaults.md "WebSocket".
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Middleware } from 'koa';
import { WebSocketServer } from 'ws';
import { EdgeError, toEdgeError, type EdgeState, type Principal } from '@portico/edge';
import { checkOwner, checkScopes, refuseWhileClosing, type LiveCore } from './live-core';
import { CLOSE, WsConnection } from './live-connection';
import { LiveConnections } from './live-connections';
import { liveHttp } from './live-http';
import { createLiveMetrics } from './live-metrics';
import { LIVE_DEFAULTS, type LiveOrdersOptions } from './live-settings';
import { OrderFeeds, type Joined } from './order-feeds';
import { MemoryTicketStore } from './tickets';
import { matchLivePath, originAllowed, refuseUpgrade, upgradeCredentials, upgradeRequestId } from './upgrade-request';

/** Counts for tests, logs and benchmarks. */
export interface LiveStats {
  /** Live connections open or opening (WebSocket + SSE). */
  connections: number;
  /** Orders with an upstream subscription. */
  upstreamSubscriptions: number;
}

/** The mounted live module. */
export interface LiveOrders {
  /** Koa middleware for the SSE variant and the ticket endpoint; mount before the router. */
  readonly middleware: Middleware<EdgeState>;
  /** Handles an HTTP `upgrade` for the live path; false (socket untouched) for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every connection with 1001, ends the feeds and the event source. */
  close(): Promise<void>;
  stats(): LiveStats;
}

const DRAIN_POLL_MS = 250;

/** Builds the live module once at start-up. */
export function liveOrders(options: LiveOrdersOptions): LiveOrders {
  const limits = { ...LIVE_DEFAULTS, ...options.limits };
  const now = options.now ?? Date.now;
  const metrics = createLiveMetrics(options.metrics);
  const log = options.logger;
  let closing = false;
  const core: LiveCore = {
    options,
    limits,
    now,
    metrics,
    feeds: new OrderFeeds({ source: options.source, logger: log, replayEvents: limits.replayEvents, lingerMs: limits.lingerMs, onFeedsChanged: metrics.feeds }),
    connections: new LiveConnections({ perPrincipal: limits.perPrincipal, perProcess: limits.perProcess }),
    tickets: options.tickets ?? new MemoryTicketStore(),
    closing: () => closing || options.readiness.isDraining(),
  };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxPayloadBytes,
    // Compression costs ~300 KB per socket in zlib state and opens compression side channels; events are small.
    perMessageDeflate: false,
    clientTracking: false,
    // Browsers pass the token as a second protocol value; the selected protocol is `bearer`, never the token.
    handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
  });
  const wsSettings = { sendBufferBytes: limits.sendBufferBytes, closeGraceMs: limits.closeGraceMs, metrics, now };

  const heartbeat = setInterval(() => core.connections.sweep(), limits.pingIntervalMs);
  heartbeat.unref();
  // SIGTERM: readiness fails first; connections stay through the pre-stop window, then close with 1001.
  let drainTimer: NodeJS.Timeout | undefined;
  const drainWatch = setInterval(() => {
    if (!options.readiness.isDraining() || drainTimer) return;
    clearInterval(drainWatch);
    drainTimer = setTimeout(() => void core.connections.closeAll(CLOSE.GOING_AWAY, 'server shutting down'), options.drainDelayMs ?? 0);
    drainTimer.unref();
  }, DRAIN_POLL_MS);
  drainWatch.unref();

  async function principalOf(req: IncomingMessage, query: URLSearchParams, orderId: string): Promise<Principal> {
    const { token, ticket } = upgradeCredentials(req, query);
    if (ticket !== undefined) {
      const redeemed = await core.tickets.redeem(ticket);
      const expired = redeemed?.principal.expiresAt !== undefined && redeemed.principal.expiresAt * 1000 <= now();
      if (!redeemed || redeemed.orderId !== orderId || expired) throw invalidCredentials('the ticket is unknown, used, expired or for another order');
      return redeemed.principal;
    }
    if (token === undefined) {
      throw new EdgeError('UNAUTHENTICATED', { detail: 'send the token as Sec-WebSocket-Protocol: bearer, <token>, or a ticket', headers: { 'WWW-Authenticate': 'Bearer realm="portico"' } });
    }
    return options.authenticator.verifyBearer(token);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, orderId: string, query: URLSearchParams): Promise<void> {
    const requestId = upgradeRequestId(req);
    socket.on('error', () => undefined);
    let release: (() => void) | undefined;
    let joined: Joined | undefined;
    let connection: WsConnection | undefined;
    const cleanup = (): void => {
      joined?.leave();
      release?.();
      connection?.abandon();
    };
    try {
      refuseWhileClosing(core);
      if (!originAllowed(req, options.allowedOrigins ?? [])) throw new EdgeError('ORIGIN_NOT_ALLOWED', { detail: 'This origin may not open live connections' });
      core.connections.checkProcess();
      const principal = await principalOf(req, query, orderId);
      checkScopes(core, principal);
      await checkOwner(core, orderId, principal);
      release = core.connections.reserve(principal);
      connection = new WsConnection(wsSettings, principal.expiresAt === undefined ? undefined : principal.expiresAt * 1000);
      try {
        joined = await core.feeds.join(orderId, connection, query.get('lastEventId') ?? req.headers['last-event-id']?.toString());
      } catch (err) {
        throw new EdgeError('UPSTREAM_UNAVAILABLE', { detail: 'Order events are unavailable right now', cause: err, headers: { 'Retry-After': '5' } });
      }
      if (socket.destroyed) return cleanup();
      const open = connection;
      const { replay, leave } = joined;
      let attached = false;
      // ws answers a malformed handshake itself (400) and never calls back: the slot must still be given back.
      socket.once('close', () => attached || cleanup());
      wss.handleUpgrade(req, socket, head, (ws) => {
        attached = true;
        core.connections.add(open);
        open.attach(ws, replay, () => {
          leave();
          release?.();
        });
      });
    } catch (err) {
      cleanup();
      const problem = toEdgeError(err);
      metrics.rejected(problem.status);
      log.info({ requestId, orderId, status: problem.status, code: problem.code }, 'live: upgrade refused');
      refuseUpgrade(socket, problem, requestId);
    }
  }

  let closed: Promise<void> | undefined;
  return {
    middleware: liveHttp(core),
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://live.invalid');
      const match = matchLivePath(url.pathname);
      if (!match || match.kind !== 'live' || req.method !== 'GET') return false;
      void upgrade(req, socket, head, match.orderId, url.searchParams);
      return true;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(heartbeat);
        clearInterval(drainWatch);
        clearTimeout(drainTimer);
        await core.connections.closeAll(CLOSE.GOING_AWAY, 'server shutting down');
        await core.feeds.close();
        await options.source.close();
        wss.close();
      })();
      return closed;
    },
    stats: () => ({ connections: core.connections.size, upstreamSubscriptions: core.feeds.size }),
  };
}

function invalidCredentials(detail: string): EdgeError {
  return new EdgeError('INVALID_TOKEN', { detail, headers: { 'WWW-Authenticate': `Bearer realm="portico", error="invalid_token", error_description="${detail}"` } });
}
