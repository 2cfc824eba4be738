/**
 * The phone's order screen, built for it rather than trimmed from the web shape: one flat object with what a small
 * screen shows (state, restaurant name, item count, total, ETA, courier). Fetching the parts is get-order-details.ts's job.
 */
import { isoTime } from '@portico/gateway';
import type { Delivery, Order, Restaurant } from '../clients';
import { money, type Money } from './money';

/** The compact order the phone app renders; `_errors` is added by composeParts when an optional part failed. */
export interface OrderSummary {
  orderId: string;
  state: string;
  /** Null when the restaurant could not be read. */
  restaurantName: string | null;
  /** Number of dishes (sum of quantities). */
  itemCount: number;
  total: Money;
  /** ISO 8601 time of arrival at the door; null when the delivery could not be read. */
  eta: string | null;
  /** Who brings the order and where they are; absent when there is no delivery to show. */
  courier?: { name: string; location: { lat: number; lng: number } | null };
}

/** Every top-level field of OrderSummary, for `?fields=` checks before any backend is called. */
export const ORDER_SUMMARY_FIELDS = Object.freeze(['orderId', 'state', 'restaurantName', 'itemCount', 'total', 'eta', 'courier'] as const);

/** Dishes in an order: the sum of line quantities. */
export function itemCount(order: Pick<Order, 'lineItems'>): number {
  return (order.lineItems ?? []).reduce((sum, line) => sum + line.quantity, 0);
}

/** Maps the order and its optional parts (null when absent or failed) to the phone's summary. */
export function orderSummary(order: Order, restaurant: Restaurant | null, delivery: Delivery | null): OrderSummary {
  const summary: OrderSummary = {
    orderId: order.orderId,
    state: order.state,
    restaurantName: restaurant?.name ?? null,
    itemCount: itemCount(order),
    total: money(order.total, order.currency),
    // The gRPC message carries epoch milliseconds; the phone has always read ISO 8601.
    eta: delivery ? isoTime(delivery.etaUnixMs) : null,
  };
  // A cancelled delivery has nobody coming; otherwise the app shows the courier (and the map once it moves).
  if (delivery?.courier && delivery.state !== 'CANCELLED') summary.courier = { name: delivery.courier.name, location: delivery.location ?? null };
  return summary;
}
