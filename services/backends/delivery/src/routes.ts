/** Delivery service HTTP API: a courier and an ETA per order, created and advanced by the order service. */
import Router from '@koa/router';
import { eventStream, readValidBody, type EdgeState } from '@portico/edge';
import { z } from 'zod';
import { DeliveryStore, deliveryStates, type DeliveryOptions } from './delivery-store';

export { deliveryStates, type Delivery, type DeliveryOptions, type Location } from './delivery-store';

const Address = z.object({ street: z.string().min(1).max(200), city: z.string().min(1).max(100), zip: z.string().min(1).max(20) }).strict();
const CreateDelivery = z.object({ orderId: z.string().min(1).max(64), pickupAddress: z.string().min(1).max(300), deliveryAddress: Address }).strict();
const ChangeState = z.object({ state: z.enum(deliveryStates) }).strict();

/**
 * Builds the delivery service's routes over `store` (one is created from the options when none is given); call the
 * returned `stop()` on shutdown to end courier timers. BFFs read deliveries over gRPC (grpc-server.ts).
 */
export function deliveryRoutes(options: DeliveryOptions | { store: DeliveryStore }): { router: Router<EdgeState>; stop(): void } {
  const store = 'store' in options ? options.store : new DeliveryStore(options);
  const router = new Router<EdgeState>();

  router.post('/deliveries', async (ctx) => {
    const input = await readValidBody(ctx, CreateDelivery);
    ctx.status = 201;
    ctx.body = store.create(input);
  });

  router.get('/deliveries/:orderId', (ctx) => {
    ctx.body = store.require(ctx.params.orderId ?? '');
  });

  // Courier positions as SSE with Last-Event-ID replay; no 404 for an unknown order, whose delivery may come later.
  router.get('/deliveries/:orderId/events', eventStream({ log: store.events, channel: (ctx) => `orders.${(ctx.params as { orderId: string }).orderId}` }));

  router.put('/deliveries/:orderId/state', async (ctx) => {
    const delivery = store.require(ctx.params.orderId ?? '');
    const { state } = await readValidBody(ctx, ChangeState);
    ctx.body = store.changeState(delivery.orderId, state);
  });

  return { router, stop: () => store.stop() };
}
