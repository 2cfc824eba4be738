/**
 * Scripted stand-ins for the FTGO sample backends, installed on mock upstreams: an in-memory order service (list by
 * consumer, place, cancel until pickup, read) and a one-restaurant catalogue. BFF tests add the rest themselves.
 */
import type { MockUpstream, RecordedRequest, ScriptedResponse } from './mock-upstream';

/** An order as the fake order service keeps it. */
export interface FakeOrder {
  orderId: string;
  consumerId: string;
  restaurantId: string;
  state: string;
  lineItems: Array<{ menuItemId: string; quantity: number; name: string; price: number }>;
  total: number;
  currency: string;
}

/** A problem+json answer with `status` and `detail`, as the backends send them. */
export function problemAnswer(status: number, detail: string): ScriptedResponse {
  return { status, json: { type: 'about:blank', title: 'x', status, detail }, headers: { 'content-type': 'application/problem+json' } };
}

function bodyOf(req: RecordedRequest): Record<string, unknown> {
  return req.body.length ? (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>) : {};
}

/** Makes `order` answer like the order service; returns the orders it holds (tests may seed or inspect them). */
export function fakeOrderService(order: MockUpstream): Map<string, FakeOrder> {
  const orders = new Map<string, FakeOrder>();
  let next = 1;
  order.on('GET', '/orders', (req) => {
    const consumerId = new URL(req.path, 'http://x').searchParams.get('consumerId');
    return { json: { orders: [...orders.values()].filter((o) => o.consumerId === consumerId).reverse() } };
  });
  order.on('POST', '/orders', (req) => {
    const input = bodyOf(req) as unknown as FakeOrder;
    if (input.restaurantId === 'r-unknown') return problemAnswer(422, 'restaurantId: no restaurant r-unknown');
    const lineItems = input.lineItems.map((l) => ({ ...l, name: `Dish ${l.menuItemId}`, price: 1250 }));
    const created: FakeOrder = { ...input, orderId: `o-${next++}`, state: 'APPROVED', lineItems, total: lineItems.reduce((s, l) => s + l.price * l.quantity, 0), currency: 'USD' };
    orders.set(created.orderId, created);
    return { status: 201, json: created };
  });
  order.on('POST', '/orders/*', (req) => {
    const found = orders.get(req.pathname.split('/')[2] ?? '');
    if (!found) return problemAnswer(404, 'no order');
    if (found.state === 'PICKED_UP' || found.state === 'DELIVERED') return problemAnswer(409, `an order that is ${found.state} can no longer be cancelled`);
    found.state = 'CANCELLED';
    return { json: found };
  });
  order.on('GET', '/orders/*', (req) => {
    const found = orders.get(req.pathname.split('/')[2] ?? '');
    return found ? { json: found } : problemAnswer(404, 'no order');
  });
  return orders;
}

/** Makes `restaurant` answer like the restaurant service with one restaurant, r-1 "Ajanta". */
export function fakeRestaurantService(restaurant: MockUpstream): void {
  restaurant.on('GET', '/restaurants', { json: { restaurants: [{ restaurantId: 'r-1', name: 'Ajanta', cuisine: 'Indian', address: { street: '1 Curry Lane', city: 'Oakland', zip: '94611' }, openingHours: '11-22' }] } });
  restaurant.on('GET', '/restaurants/*', (req) =>
    req.pathname === '/restaurants/r-1' ? { json: { restaurantId: 'r-1', name: 'Ajanta', cuisine: 'Indian', currency: 'USD', menu: [{ menuItemId: 'm-101', name: 'Vindaloo', price: 1250 }] } } : problemAnswer(404, 'no restaurant'),
  );
}
