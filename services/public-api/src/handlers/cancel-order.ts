/**
 * POST /v1/orders/:orderId/cancel: cancels one of the key owner's orders. Ownership is checked on the order first
 * (someone else's order is a 404); whether it may still be cancelled is the order service's rule (409 after pickup).
 */
import type { Middleware } from 'koa';
import { requireOwner, type EdgeState } from '@portico/edge';
import { required, requestDeadline } from '@portico/gateway';
import type { ServiceBinding } from '../clients';
import { orderView, type BackendOrder } from '../views/order';
import { orderIdOf } from './get-order-details';

/** Builds the cancelOrder handler. */
export function cancelOrder(binding: ServiceBinding): Middleware<EdgeState> {
  return async function cancelOrder(ctx) {
    const { order: client } = binding.clients;
    const id = encodeURIComponent(orderIdOf(ctx));
    const deadline = requestDeadline(ctx);
    const headers = { 'x-request-id': ctx.state.requestId };
    // required(): a backend 4xx becomes the client's answer (409 with its detail), a fault its 502/503/504.
    const existing = await required('order', () => client.getJson<BackendOrder>(`/orders/${id}`, { deadline, headers, operation: 'get order' }));
    requireOwner(ctx, existing?.consumerId);
    const cancelled = await required('order', () =>
      client.postJson<BackendOrder>(`/orders/${id}/cancel`, {}, { deadline, headers, operation: 'cancel order' }),
    );
    // Gone between the two calls: as missing as it would have been a moment later.
    requireOwner(ctx, cancelled?.consumerId);
    ctx.status = 200;
    ctx.body = orderView(cancelled as BackendOrder);
  };
}
