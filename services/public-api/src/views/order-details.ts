/**
 * The public shape of GET /v1/orders/:orderId: the order with its restaurant, kitchen ticket, delivery and bill, each
 * null (with an `_errors` entry) when its service failed. Documented as #/components/schemas/OrderDetails; composing is the handler's job.
 * Tickets and deliveries arrive as gRPC messages (times in epoch milliseconds); the public contract keeps ISO 8601.
 */
import { EdgeError } from '@portico/edge';
import { isoTime, type PartError } from '@portico/gateway';
import { orderView, type BackendOrder, type OrderView } from './order';

/** A restaurant as the restaurant service answers it. */
export interface BackendRestaurant {
  restaurantId: string;
  name: string;
  cuisine: string;
  address: { street: string; city: string; zip: string };
}

/** A kitchen ticket as the kitchen service's GetTicket answers it: times as int64 epoch milliseconds (decimal strings). */
export interface BackendTicket {
  ticketId: string;
  state: string;
  readyByUnixMs: string;
  updatedAtUnixMs: string;
}

/** A delivery as the delivery service's GetDelivery answers it (an unset message field is null). */
export interface BackendDelivery {
  deliveryId: string;
  state: string;
  courier: { courierId: string; name: string } | null;
  etaUnixMs: string;
  location: { lat: number; lng: number } | null;
  updatedAtUnixMs: string;
}

/** The documented ticket (#/components/schemas/Ticket). */
export interface TicketView {
  ticketId: string;
  state: string;
  readyBy: string;
  updatedAt: string;
}

/** The documented delivery (#/components/schemas/Delivery). */
export interface DeliveryView {
  deliveryId: string;
  state: string;
  courier: { name: string };
  eta: string;
  location: { lat: number; lng: number };
  updatedAt: string;
}

/** A bill as the accounting service answers it (amount in integer cents). */
export interface BackendBill {
  billId: string;
  amount: number;
  currency: string;
  state: string;
}

/** What the composition gathered, ticket and delivery already in their public shape; optional parts are null when absent or failed. */
export interface OrderParts {
  order: BackendOrder;
  restaurant: BackendRestaurant | null;
  ticket: TicketView | null;
  delivery: DeliveryView | null;
  bill: BackendBill | null;
  _errors?: PartError[];
}

/** The full detail of one order. */
export interface OrderDetailsView {
  order: OrderView;
  restaurant: { restaurantId: string; name: string; cuisine: string; address: { street: string; city: string; zip: string } } | null;
  ticket: TicketView | null;
  delivery: DeliveryView | null;
  bill: { billId: string; amount: number; currency: string; state: string } | null;
  _errors?: PartError[];
}

// A message the documented shape cannot be built from is the backend's fault: its part fails (502), not the answer.
function instant(unixMs: string, field: string, service: string): string {
  const iso = isoTime(unixMs);
  if (iso === null) throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${service} service: ${field} is not a time` });
  return iso;
}

function required<T>(value: T | null, field: string, service: string): T {
  if (value === null) throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${service} service: ${field} is missing` });
  return value;
}

/** The documented ticket of a GetTicket answer; the handler maps it inside the part, so a malformed one fails only that part. */
export function ticketView(t: BackendTicket): TicketView {
  return { ticketId: t.ticketId, state: t.state, readyBy: instant(t.readyByUnixMs, 'readyBy', 'kitchen'), updatedAt: instant(t.updatedAtUnixMs, 'updatedAt', 'kitchen') };
}

/** The documented delivery of a GetDelivery answer: the courier's first name only (a third-party app does not need the courier's id). */
export function deliveryView(d: BackendDelivery): DeliveryView {
  const location = required(d.location, 'location', 'delivery');
  return {
    deliveryId: d.deliveryId,
    state: d.state,
    courier: { name: required(d.courier, 'courier', 'delivery').name },
    eta: instant(d.etaUnixMs, 'eta', 'delivery'),
    location: { lat: location.lat, lng: location.lng },
    updatedAt: instant(d.updatedAtUnixMs, 'updatedAt', 'delivery'),
  };
}

/** Maps the composed parts to the documented shape; `_errors` is present only when a part failed. */
export function orderDetailsView(parts: OrderParts): OrderDetailsView {
  const { restaurant: r, ticket: t, delivery: d, bill: b } = parts;
  const view: OrderDetailsView = {
    order: orderView(parts.order),
    restaurant: r && {
      restaurantId: r.restaurantId,
      name: r.name,
      cuisine: r.cuisine,
      address: { street: r.address.street, city: r.address.city, zip: r.address.zip },
    },
    ticket: t && { ticketId: t.ticketId, state: t.state, readyBy: t.readyBy, updatedAt: t.updatedAt },
    delivery: d && { deliveryId: d.deliveryId, state: d.state, courier: { name: d.courier.name }, eta: d.eta, location: { lat: d.location.lat, lng: d.location.lng }, updatedAt: d.updatedAt },
    bill: b && { billId: b.billId, amount: b.amount, currency: b.currency, state: b.state },
  };
  if (parts._errors?.length) view._errors = parts._errors.map(({ part, status, title }) => ({ part, status, title }));
  return view;
}
