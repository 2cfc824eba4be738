/**
 * POST /orders/:orderId/cancel for the phone: checks the caller owns the order (404 otherwise, as for a missing one),
 * then asks the order service, which alone decides whether it is too late (409 after pickup).
 */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import { callOf, type Backends } from '../clients';
import { orderListItem } from '../views/order-list-item';

/** Builds the cancelOrder handler: 200 with the compact cancelled order. */
export function cancelOrder(backends: Backends): Middleware<EdgeState> {
  return async function cancelOrder(ctx) {
    const orderId = ctx.state.params?.orderId ?? '';
    const call = callOf(ctx);
    await backends.ownOrder(call, orderId);
    ctx.body = orderListItem(await backends.cancelOrder(call, orderId));
  };
}
