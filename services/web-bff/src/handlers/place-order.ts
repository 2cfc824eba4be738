/**
 * POST /orders: places an order for the verified principal. The body was already checked against routes.yaml's
 * JSON Schema (policy.body), so a bad one never gets here; pricing and menu checks are the order service's.
 */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import { consumerOf, type Backends, type NewOrder } from '../clients';

/** Builds the placeOrder handler: 201 with the order and a Location on this BFF. */
export function placeOrder(backends: Backends): Middleware<EdgeState> {
  return async function placeOrder(ctx) {
    const body = ctx.state.body as Omit<NewOrder, 'consumerId'>;
    const order = await backends.placeOrder(ctx, {
      consumerId: consumerOf(ctx),
      restaurantId: body.restaurantId,
      lineItems: body.lineItems,
      deliveryAddress: body.deliveryAddress,
    });
    ctx.status = 201;
    ctx.set('Location', `/orders/${encodeURIComponent(order.orderId)}`);
    ctx.body = order;
  };
}
