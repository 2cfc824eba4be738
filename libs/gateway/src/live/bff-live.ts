/**
 * Wires liveOrders onto a BFF built by createBff: the event source chosen at start-up (Redis configured → the bus,
 * else the backends' SSE endpoints), tickets in Redis or memory, and ownership read from the order service.
 */
import type { Principal, TraceContext } from '@portico/edge';
import type { Bff } from '../create-bff';
import type { Upstreams } from '../clients/upstreams';
import { principalHeaders } from '../proxy/forwarded-headers';
import { encodeSegment } from '../routing-map/normalise-path';
import { statusFault } from '../upstream-faults';
import { liveOrders, type LiveOrders } from './live-orders';
import type { LiveLimits, LiveOrdersOptions } from './live-settings';
import { busEventSource, type OrderEventSource } from './order-event-source';
import { MemoryTicketStore, RedisTicketStore } from './tickets';
import { UpstreamSseSource } from './upstream-sse-source';

/** What a BFF chooses about its live endpoint; the rest comes from the BFF. */
export interface BffLiveOptions {
  /** Origins browsers may connect from (the BFF's CORS allow-list). */
  allowedOrigins?: readonly string[];
  scopes?: readonly string[];
  limits?: Partial<LiveLimits>;
  /** Default: GET /orders/:orderId on the `order` upstream → consumerId. */
  ownerOf?: LiveOrdersOptions['ownerOf'];
}

/** Reads an order's owner from the order service; undefined when there is no such order. */
export function orderOwnerFrom(upstreams: Upstreams, upstreamName = 'order'): (orderId: string, principal: Principal, trace?: TraceContext) => Promise<string | undefined> {
  return async (orderId, principal, trace) => {
    const res = await upstreams.get(upstreamName).dispatch({
      method: 'GET',
      path: `/orders/${encodeSegment(orderId)}`,
      headers: { accept: 'application/json', ...principalHeaders(principal) },
      deadline: Date.now() + 2000,
      retries: 1,
      operation: 'live-owner',
      trace,
    });
    if (res.statusCode === 404) {
      await res.dump();
      return undefined;
    }
    const fault = statusFault(res.statusCode, upstreamName);
    if (fault || res.statusCode !== 200) {
      await res.dump();
      throw fault ?? new Error(`order service answered ${res.statusCode}`);
    }
    const order = (await res.json()) as { consumerId?: unknown };
    return typeof order.consumerId === 'string' ? order.consumerId : undefined;
  };
}

/** The event source a BFF uses: its bus when Redis carries events across processes, otherwise the backends' streams. */
export function bffEventSource(bff: Bff): OrderEventSource {
  return bff.config.redis ? busEventSource(bff.bus) : new UpstreamSseSource({ upstreams: bff.upstreams, logger: bff.logger });
}

/** Builds the live module for a BFF; mount it with `bff.mount('live orders', live)` before `listen()`. */
export function liveOrdersForBff(bff: Bff, options: BffLiveOptions = {}): LiveOrders {
  const source = bffEventSource(bff);
  bff.readiness.setInfo('liveEvents', source.kind);
  const redisConfig = bff.config.redis;
  return liveOrders({
    authenticator: bff.authenticator,
    source,
    readiness: bff.readiness,
    logger: bff.logger,
    metrics: bff.metrics,
    ownerOf: options.ownerOf ?? orderOwnerFrom(bff.upstreams),
    allowedOrigins: options.allowedOrigins,
    scopes: options.scopes,
    tickets: redisConfig && bff.redis ? new RedisTicketStore(bff.redis, redisConfig.keyPrefix) : new MemoryTicketStore(),
    drainDelayMs: bff.config.lifecycle.drainDelayMs,
    limits: options.limits,
  });
}
