/**
 * POST /orders/:orderId/cancel: checks the caller owns the order (404 otherwise, as for a missing one), then asks the
 * order service, which alone decides whether it is too late (409 after pickup).
 */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import type { Backends } from '../clients';

/** Builds the cancelOrder handler: 200 with the cancelled order. */
export function cancelOrder(backends: Backends): Middleware<EdgeState> {
  return async function cancelOrder(ctx) {
    const orderId = ctx.state.params?.orderId ?? '';
    await backends.ownOrder(ctx, orderId);
    ctx.body = await backends.cancelOrder(ctx, orderId);
  };
}
