/**
 * GET /v1/orders/:orderId: one request fanned out in parallel to order and accounting (REST), kitchen and delivery
 * (gRPC), then the restaurant of the order; answered only to the order's consumer (404 otherwise). Scope checks and
 * quotas ran earlier in the route chain, and its `etag` policy gives pollers their ETag and 304s; the backends own
 * every business rule.
 */
import type { Middleware } from 'koa';
import { requireOwner, type EdgeContext, type EdgeState } from '@portico/edge';
import { branchDeadline, composeParts } from '@portico/gateway';
import type { ServiceBinding } from '../clients';
import type { BackendOrder } from '../views/order';
import {
  deliveryView,
  orderDetailsView,
  ticketView,
  type BackendBill,
  type BackendDelivery,
  type BackendRestaurant,
  type BackendTicket,
  type OrderParts,
} from '../views/order-details';

// Time kept back from the route deadline to map and send the answer (docs/style.md › Errors).
const MARGIN_MS = 50;

/** The order id of the matched route; the router decoded it. */
export function orderIdOf(ctx: EdgeContext): string {
  return ctx.state.params?.orderId ?? '';
}

/** Builds the getOrderDetails handler. */
export function getOrderDetails(binding: ServiceBinding): Middleware<EdgeState> {
  return async function getOrderDetails(ctx) {
    const clients = binding.clients;
    const id = encodeURIComponent(orderIdOf(ctx));
    // One signal for the branches: when a required part fails, the others are aborted.
    const branch = branchDeadline(ctx, MARGIN_MS);
    const deadline = branch.deadline;
    const call = { deadline, headers: { 'x-request-id': ctx.state.requestId } };
    // GrpcClient sends the request id and the verified principal as metadata; NOT_FOUND resolves null, as a 404 does.
    const rpc = (operation: string) => ({ deadline, ctx, operation });
    const orderId = { orderId: orderIdOf(ctx) };

    let parts: OrderParts;
    try {
      parts = await composeParts(
        async ({ required, optional }) => {
          const order = required('order', async () => {
            const found = await clients.order.getJson<BackendOrder>(`/orders/${id}`, { ...call, operation: 'get order' });
            // Someone else's order reads exactly like a missing one (404), so order ids cannot be probed.
            requireOwner(ctx, found?.consumerId);
            return found as BackendOrder;
          });
          // The restaurant depends on the order; when the order fails the whole answer fails, so it is not started.
          const restaurant = order.then(
            (o) =>
              optional('restaurant', () =>
                clients.restaurant.getJson<BackendRestaurant>(`/restaurants/${encodeURIComponent(o.restaurantId)}`, { ...call, operation: 'get restaurant' }),
              ),
            () => null,
          );
          const [o, r, ticket, delivery, bill] = await Promise.all([
            order,
            restaurant,
            // Mapped inside the part: a message the public shape cannot be built from fails only its part.
            optional('ticket', async () => {
              const ticket = await clients.kitchen.find<BackendTicket>('GetTicket', orderId, rpc('get ticket'));
              return ticket && ticketView(ticket);
            }),
            optional('delivery', async () => {
              const delivery = await clients.delivery.find<BackendDelivery>('GetDelivery', orderId, rpc('get delivery'));
              return delivery && deliveryView(delivery);
            }),
            optional('bill', () => clients.accounting.getJson<BackendBill>(`/bills/${id}`, { ...call, operation: 'get bill' })),
          ]);
          return { order: o, restaurant: r, ticket, delivery, bill };
        },
        { log: ctx.state.log },
      );
    } catch (err) {
      // The answer is lost (order missing, not the caller's, or failed): stop the branches still running for it.
      branch.cancel();
      throw err;
    }

    ctx.status = 200;
    ctx.body = orderDetailsView(parts);
    // Private to the key's owner; clients may keep it but must revalidate (If-None-Match) before reuse.
    ctx.set('Cache-Control', 'private, no-cache');
  };
}
