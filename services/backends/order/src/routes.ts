/**
 * Order service HTTP API: place, read, list and cancel orders. Placing an order creates its ticket, delivery and bill.
 * `GET /orders/:orderId/events` streams the order's state changes as SSE, with `Last-Event-ID` replay.
 */
import Router from '@koa/router';
import { EdgeError, eventStream, readValidBody, type EdgeState } from '@portico/edge';
import { z } from 'zod';
import type { Collaborators } from './collaborators';
import { canCancel, orderStates, type Order } from './order';
import type { OrderBook } from './order-book';

const Address = z.object({ street: z.string().min(1).max(200), city: z.string().min(1).max(100), zip: z.string().min(1).max(20) }).strict();

/** The body of `POST /orders`; the consumer is set by the caller's BFF from the verified principal. */
export const CreateOrder = z.object({
  consumerId: z.string().min(1).max(64),
  restaurantId: z.string().min(1).max(64),
  lineItems: z.array(z.object({ menuItemId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(99) }).strict()).min(1).max(50),
  deliveryAddress: Address,
}).strict();

interface RestaurantView {
  restaurantId: string;
  name: string;
  currency: string;
  address: { street: string; city: string };
  menu: Array<{ menuItemId: string; name: string; price: number }>;
}

/** Builds the order service's routes. */
export function orderRoutes(book: OrderBook, collaborators: Collaborators): Router<EdgeState> {
  const router = new Router<EdgeState>();

  router.post('/orders', async (ctx) => {
    const input = await readValidBody(ctx, CreateOrder);
    const trace = ctx.state.trace;
    const [consumer, restaurant] = await Promise.all([
      collaborators.get('consumer', `/consumers/${encodeURIComponent(input.consumerId)}`, trace),
      collaborators.get<RestaurantView>('restaurant', `/restaurants/${encodeURIComponent(input.restaurantId)}`, trace),
    ]);
    if (!consumer) throw new EdgeError('VALIDATION_FAILED', { detail: `consumerId: no consumer ${input.consumerId}` });
    if (!restaurant) throw new EdgeError('VALIDATION_FAILED', { detail: `restaurantId: no restaurant ${input.restaurantId}` });
    const menu = new Map(restaurant.menu.map((m) => [m.menuItemId, m]));
    const unknown = input.lineItems.filter((l) => !menu.has(l.menuItemId)).map((l) => l.menuItemId);
    if (unknown.length) throw new EdgeError('VALIDATION_FAILED', { detail: `lineItems: not on ${restaurant.name}'s menu: ${unknown.join(', ')}` });

    const lineItems = input.lineItems.map((l) => ({ menuItemId: l.menuItemId, name: menu.get(l.menuItemId)!.name, quantity: l.quantity, price: menu.get(l.menuItemId)!.price }));
    const at = new Date().toISOString();
    const order: Order = {
      orderId: book.newId(),
      consumerId: input.consumerId,
      restaurantId: input.restaurantId,
      lineItems,
      deliveryAddress: input.deliveryAddress,
      total: lineItems.reduce((sum, l) => sum + l.price * l.quantity, 0),
      currency: restaurant.currency,
      state: 'APPROVED',
      createdAt: at,
      updatedAt: at,
      history: [{ state: 'APPROVED', at }],
    };
    await Promise.all([
      collaborators.send('kitchen', 'POST', '/tickets', { orderId: order.orderId, restaurantId: order.restaurantId, lineItems: lineItems.map(({ menuItemId, name, quantity }) => ({ menuItemId, name, quantity })) }, trace),
      collaborators.send('delivery', 'POST', '/deliveries', { orderId: order.orderId, pickupAddress: `${restaurant.name}, ${restaurant.address.street}, ${restaurant.address.city}`, deliveryAddress: order.deliveryAddress }, trace),
      collaborators.send('accounting', 'POST', '/bills', { orderId: order.orderId, consumerId: order.consumerId, amount: order.total, currency: order.currency }, trace),
    ]);
    book.add(order);
    ctx.status = 201;
    ctx.set('Location', `/orders/${order.orderId}`);
    ctx.body = order;
  });

  router.get('/orders', (ctx) => {
    const state = ctx.query.state;
    if (state !== undefined && (typeof state !== 'string' || !(orderStates as readonly string[]).includes(state))) {
      throw new EdgeError('INVALID_QUERY', { detail: `state: expected one of ${orderStates.join(', ')}` });
    }
    const consumerId = typeof ctx.query.consumerId === 'string' ? ctx.query.consumerId : undefined;
    ctx.body = { orders: book.list({ consumerId, state: state as Order['state'] | undefined }) };
  });

  router.get('/orders/:orderId', (ctx) => {
    ctx.body = find(book, ctx.params.orderId);
  });

  const stream = eventStream({ log: book.events, channel: (ctx) => `orders.${(ctx.params as { orderId: string }).orderId}` });
  router.get('/orders/:orderId/events', async (ctx, next) => {
    find(book, ctx.params.orderId);
    await stream(ctx, next);
  });

  router.post('/orders/:orderId/cancel', async (ctx) => {
    const order = find(book, ctx.params.orderId);
    if (!canCancel(order.state)) throw new EdgeError('CONFLICT', { detail: `an order that is ${order.state} can no longer be cancelled` });
    await book.transition(order, 'CANCELLED', ctx.state.trace);
    await collaborators.send('accounting', 'POST', `/bills/${order.orderId}/void`, {}, ctx.state.trace).catch(() => undefined);
    ctx.body = order;
  });

  return router;
}

function find(book: OrderBook, orderId: string | undefined): Order {
  const order = book.get(orderId ?? '');
  if (!order) throw new EdgeError('NOT_FOUND', { detail: `no order ${orderId}` });
  return order;
}
