/**
 * The public shape of an order: the fields the OpenAPI document promises (#/components/schemas/Order), picked one by
 * one so a new backend field never becomes public API by accident. Reading the backend is the handlers' job.
 */

/** An order as the order service answers it (services/backends/order). */
export interface BackendOrder {
  orderId: string;
  consumerId: string;
  restaurantId: string;
  lineItems: Array<{ menuItemId: string; name: string; quantity: number; price: number }>;
  deliveryAddress: { street: string; city: string; zip: string };
  total: number;
  currency: string;
  state: string;
  createdAt: string;
  updatedAt: string;
  history: Array<{ state: string; at: string }>;
}

/** The order every /v1 answer carries. */
export interface OrderView {
  orderId: string;
  consumerId: string;
  restaurantId: string;
  state: string;
  lineItems: Array<{ menuItemId: string; name: string; quantity: number; price: number }>;
  deliveryAddress: { street: string; city: string; zip: string };
  total: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
  history: Array<{ state: string; at: string }>;
}

/** Order states in life-cycle order, as documented; the order service owns the transitions. */
export const ORDER_STATES = ['APPROVED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] as const;

/** Maps a backend order to its public shape. */
export function orderView(order: BackendOrder): OrderView {
  return {
    orderId: order.orderId,
    consumerId: order.consumerId,
    restaurantId: order.restaurantId,
    state: order.state,
    lineItems: order.lineItems.map(({ menuItemId, name, quantity, price }) => ({ menuItemId, name, quantity, price })),
    deliveryAddress: { street: order.deliveryAddress.street, city: order.deliveryAddress.city, zip: order.deliveryAddress.zip },
    total: order.total,
    currency: order.currency,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    history: order.history.map(({ state, at }) => ({ state, at })),
  };
}
