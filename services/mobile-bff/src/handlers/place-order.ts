/**
 * POST /orders for the phone: places an order for the verified principal and answers a compact row. The body was
 * already checked against routes.yaml's JSON Schema (policy.body); pricing and menu checks are the order service's.
 */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import { callOf, consumerOf, type Backends, type NewOrder } from '../clients';
import { orderListItem } from '../views/order-list-item';

/** Builds the placeOrder handler: 201 with the compact order and a Location on this BFF. */
export function placeOrder(backends: Backends): Middleware<EdgeState> {
  return async function placeOrder(ctx) {
    const body = ctx.state.body as Omit<NewOrder, 'consumerId'>;
    const order = await backends.placeOrder(callOf(ctx), {
      consumerId: consumerOf(ctx),
      restaurantId: body.restaurantId,
      lineItems: body.lineItems,
      deliveryAddress: body.deliveryAddress,
    });
    ctx.status = 201;
    ctx.set('Location', `/orders/${encodeURIComponent(order.orderId)}`);
    ctx.body = orderListItem(order);
  };
}
