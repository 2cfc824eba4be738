/**
 * GET /orders/:orderId for the phone: order (required, owned by the caller), its restaurant (as soon as the order
 * names it) and its delivery, fetched in parallel and mapped to the compact summary. Shaping is views/order-summary.ts's job.
 */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import { branchDeadline, composeParts, dependent, selectFields, type KnownFields } from '@portico/gateway';
import type { Backends, Call } from '../clients';
import { ORDER_SUMMARY_FIELDS, orderSummary } from '../views/order-summary';

// Time kept back from the route deadline to build and send the answer (docs/style.md › Errors).
const MARGIN_MS = 50;
const KNOWN: KnownFields = Object.fromEntries(ORDER_SUMMARY_FIELDS.map((field) => [field, null]));

/**
 * Builds the getOrderDetails handler. Kitchen and accounting are not called: the phone screen shows neither the
 * ticket nor the bill, so the answer needs three backends, not five.
 */
export function getOrderDetails(backends: Backends): Middleware<EdgeState> {
  return async function getOrderDetails(ctx) {
    // An unknown ?fields= name is a 400 before any backend is called.
    selectFields(KNOWN, ctx.query.fields, KNOWN);
    const orderId = ctx.state.params?.orderId ?? '';
    // One signal for the branches: when the required order fails (404 for a stranger), the others are aborted.
    const branch = branchDeadline(ctx, MARGIN_MS);
    const call: Call = { ctx, deadline: branch.deadline };
    try {
      const summary = await composeParts(
        async ({ required, optional }) => {
          const order = required('order', () => backends.ownOrder(call, orderId));
          const [owned, restaurant, delivery] = await Promise.all([
            order,
            optional('restaurant', () => dependent(order, (o) => backends.restaurant(call, o.restaurantId), { part: 'order' })),
            optional('delivery', () => backends.delivery(call, orderId)),
          ]);
          return orderSummary(owned, restaurant, delivery);
        },
        { log: ctx.state.log },
      );
      ctx.body = selectFields(summary, ctx.query.fields, KNOWN);
    } catch (err) {
      branch.cancel();
      throw err;
    }
  };
}
