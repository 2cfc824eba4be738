/**
 * Where a BFF's live module gets one order's events (`order.state-changed`, `courier.location`): the runtime's event
 * bus when Redis carries it across processes, or the backends' SSE event endpoints otherwise. Fan-out is order-feeds.ts's job.
 */
import type { BusEvent, EventBus } from '@portico/edge';

/** Callbacks of one followed order. */
export interface OrderEventHandlers {
  /** One backend event, in the order its publisher sent it. */
  event(event: BusEvent): void;
  /** Events may have been lost (a backend's history no longer reached back): readers must re-read the order. */
  gap(): void;
}

/** A source of per-order events; each follow() is one upstream subscription. */
export interface OrderEventSource {
  /** `bus` or `upstream-sse`, for logs and /readyz info. */
  readonly kind: string;
  /** Starts following the order; resolves once events flow (or the first attempt failed), with the function that stops. */
  follow(orderId: string, handlers: OrderEventHandlers): Promise<() => Promise<void>>;
  /** Stops every subscription. */
  close(): Promise<void>;
}

/** The channel backends publish an order's events on. */
export function orderChannel(orderId: string): string {
  return `orders.${orderId}`;
}

/**
 * Follows orders on the event bus (Redis pub/sub with REDIS_URL). Pub/sub keeps no history, so a BFF only sees what is
 * published while it is subscribed; resuming is the feed's replay buffer. The bus belongs to the runtime.
 */
export function busEventSource(bus: EventBus): OrderEventSource {
  return {
    kind: 'bus',
    follow: (orderId, handlers) => bus.subscribe(orderChannel(orderId), (event) => handlers.event(event)),
    close: async () => undefined,
  };
}
