/**
 * GET /orders for the phone: the caller's own orders (the consumer is the principal, never a query parameter) as
 * compact rows, with restaurant names from one restaurant-list call made in parallel.
 */
import type { Middleware } from 'koa';
import { EdgeError, type EdgeState } from '@portico/edge';
import { composeParts, selectFields } from '@portico/gateway';
import { callOf, consumerOf, type Backends } from '../clients';
import { orderListItem } from '../views/order-list-item';

const STATE = /^[A-Z_]{1,32}$/;

/** Builds the listOrders handler; which states exist is the order service's business (it answers 400 for others). */
export function listOrders(backends: Backends): Middleware<EdgeState> {
  return async function listOrders(ctx) {
    const state = ctx.query.state;
    if (state !== undefined && (typeof state !== 'string' || !STATE.test(state))) {
      throw new EdgeError('INVALID_QUERY', { detail: 'state: expected one order state such as PREPARING' });
    }
    const call = callOf(ctx);
    const consumerId = consumerOf(ctx);
    const body = await composeParts(
      async ({ required, optional }) => {
        const [orders, restaurants] = await Promise.all([
          required('orders', () => backends.listOrders(call, consumerId, state)),
          optional('restaurants', () => backends.restaurants(call)),
        ]);
        const names = new Map((restaurants ?? []).map((r) => [r.restaurantId, r.name]));
        return { orders: orders.map((o) => orderListItem(o, names.get(o.restaurantId) ?? null)) };
      },
      { log: ctx.state.log },
    );
    ctx.body = selectFields(body, ctx.query.fields);
  };
}
