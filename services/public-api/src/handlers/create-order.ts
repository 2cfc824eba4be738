/**
 * POST /v1/orders: places an order for the key's owner. The body was validated at the edge against routes.yaml's
 * schema (422 otherwise, nothing forwarded); this handler only adds the consumer and forwards it, once (no retries).
 * Whether the restaurant and menu items exist is the order service's call (its 422 reaches the client with its detail).
 */
import type { Middleware } from 'koa';
import { EdgeError, type EdgeState } from '@portico/edge';
import { required, requestDeadline } from '@portico/gateway';
import type { ServiceBinding } from '../clients';
import { orderView, type BackendOrder } from '../views/order';

/** The body routes.yaml's `create-order` schema admits. */
interface CreateOrderBody {
  restaurantId: string;
  lineItems: Array<{ menuItemId: string; quantity: number }>;
  deliveryAddress: { street: string; city: string; zip: string };
}

/** Builds the createOrder handler. */
export function createOrder(binding: ServiceBinding): Middleware<EdgeState> {
  return async function createOrder(ctx) {
    const body = ctx.state.body as CreateOrderBody | undefined;
    // The route declares policy.body; without it the request was never validated, so refuse rather than forward.
    if (body === undefined) throw new EdgeError('INTERNAL', { detail: 'create-order route has no body schema' });
    const subject = ctx.state.principal?.subject;
    if (!subject) throw new EdgeError('UNAUTHENTICATED', { detail: 'this operation requires an API key' });
    // The consumer is the key's owner; the body cannot name another one (additionalProperties: false).
    const order = { consumerId: subject, restaurantId: body.restaurantId, lineItems: body.lineItems, deliveryAddress: body.deliveryAddress };
    // required(): the order service's 422 (unknown restaurant or menu item) reaches the client with its detail.
    const created = await required('order', () =>
      binding.clients.order.postJson<BackendOrder>('/orders', order, {
        deadline: requestDeadline(ctx),
        headers: { 'x-request-id': ctx.state.requestId },
        operation: 'create order',
      }),
    );
    if (!created?.orderId) throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: 'order service: answer has no orderId' });
    ctx.status = 201;
    ctx.set('Location', `/v1/orders/${encodeURIComponent(created.orderId)}`);
    ctx.body = orderView(created);
  };
}
