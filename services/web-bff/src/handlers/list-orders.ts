/** GET /orders: the caller's own orders (the consumer is the principal, never a query parameter), filterable by state. */
import type { Middleware } from 'koa';
import { EdgeError, type EdgeState } from '@portico/edge';
import { selectFields } from '@portico/gateway';
import { consumerOf, type Backends } from '../clients';

const STATE = /^[A-Z_]{1,32}$/;

/** Builds the listOrders handler; which states exist is the order service's business (it answers 400 for others). */
export function listOrders(backends: Backends): Middleware<EdgeState> {
  return async function listOrders(ctx) {
    const state = ctx.query.state;
    if (state !== undefined && (typeof state !== 'string' || !STATE.test(state))) {
      throw new EdgeError('INVALID_QUERY', { detail: 'state: expected one order state such as PREPARING' });
    }
    const orders = await backends.listOrders(ctx, consumerOf(ctx), state);
    ctx.body = selectFields({ orders }, ctx.query.fields);
  };
}
