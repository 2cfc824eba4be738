/**
 * GET /v1/orders[?state=…]: the key owner's orders, newest first. The consumer always comes from the verified key,
 * never from the query, so a caller sees only its own orders. Filtering is the order service's.
 */
import type { Middleware } from 'koa';
import { EdgeError, type EdgeState } from '@portico/edge';
import { required, requestDeadline } from '@portico/gateway';
import type { ServiceBinding } from '../clients';
import { ORDER_STATES, orderView, type BackendOrder } from '../views/order';

/** Builds the listOrders handler. */
export function listOrders(binding: ServiceBinding): Middleware<EdgeState> {
  return async function listOrders(ctx) {
    const state = ctx.query.state;
    // Checked here so a bad filter is a 400 naming the allowed values and costs no backend call.
    if (state !== undefined && (typeof state !== 'string' || !(ORDER_STATES as readonly string[]).includes(state))) {
      throw new EdgeError('INVALID_QUERY', { detail: `state: expected one of ${ORDER_STATES.join(', ')}` });
    }
    const subject = ctx.state.principal?.subject;
    if (!subject) throw new EdgeError('UNAUTHENTICATED', { detail: 'this operation requires an API key' });
    const answer = await required('orders', () =>
      binding.clients.order.getJson<{ orders: BackendOrder[] }>('/orders', {
        deadline: requestDeadline(ctx),
        headers: { 'x-request-id': ctx.state.requestId },
        query: { consumerId: subject, state },
        operation: 'list orders',
      }),
    );
    if (!answer || !Array.isArray(answer.orders)) throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: 'order service: answer has no orders list' });
    ctx.status = 200;
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.body = { orders: answer.orders.map(orderView) };
  };
}
