/**
 * The public shape of GET /v1/orders/:orderId: the order with its restaurant, kitchen ticket, delivery and bill, each
 * null (with an `_errors` entry) when its service failed. Documented as #/components/schemas/OrderDetails; composing is the handler's job.
 */
import type { PartError } from '@portico/gateway';
import { orderView, type BackendOrder, type OrderView } from './order';

/** A restaurant as the restaurant service answers it. */
export interface BackendRestaurant {
  restaurantId: string;
  name: string;
  cuisine: string;
  address: { street: string; city: string; zip: string };
}

/** A kitchen ticket as the kitchen service answers it. */
export interface BackendTicket {
  ticketId: string;
  state: string;
  readyBy: string;
  updatedAt: string;
}

/** A delivery as the delivery service answers it. */
export interface BackendDelivery {
  deliveryId: string;
  state: string;
  courier: { courierId: string; name: string };
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

/** What the composition gathered; optional parts are null when absent or failed. */
export interface OrderParts {
  order: BackendOrder;
  restaurant: BackendRestaurant | null;
  ticket: BackendTicket | null;
  delivery: BackendDelivery | null;
  bill: BackendBill | null;
  _errors?: PartError[];
}

/** The full detail of one order. */
export interface OrderDetailsView {
  order: OrderView;
  restaurant: { restaurantId: string; name: string; cuisine: string; address: { street: string; city: string; zip: string } } | null;
  ticket: { ticketId: string; state: string; readyBy: string; updatedAt: string } | null;
  delivery: { deliveryId: string; state: string; courier: { name: string }; eta: string; location: { lat: number; lng: number }; updatedAt: string } | null;
  bill: { billId: string; amount: number; currency: string; state: string } | null;
  _errors?: PartError[];
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
    // The courier's first name only: a third-party app shows who is coming, it does not need the courier's id.
    delivery: d && {
      deliveryId: d.deliveryId,
      state: d.state,
      courier: { name: d.courier.name },
      eta: d.eta,
      location: { lat: d.location.lat, lng: d.location.lng },
      updatedAt: d.updatedAt,
    },
    bill: b && { billId: b.billId, amount: b.amount, currency: b.currency, state: b.state },
  };
  if (parts._errors?.length) view._errors = parts._errors.map(({ part, status, title }) => ({ part, status, title }));
  return view;
}
