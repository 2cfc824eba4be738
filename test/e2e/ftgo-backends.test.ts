import { expect } from 'chai';
import { request } from 'undici';
import { startService, type BusEvent, type RunningService } from '@portico/edge';
import { accountingRoutes } from '../../services/backends/accounting/src/routes';
import { consumerRoutes } from '../../services/backends/consumer/src/routes';
import { deliveryRoutes } from '../../services/backends/delivery/src/routes';
import { kitchenRoutes } from '../../services/backends/kitchen/src/routes';
import { restaurantRoutes } from '../../services/backends/restaurant/src/routes';
import { Collaborators } from '../../services/backends/order/src/collaborators';
import { OrderBook } from '../../services/backends/order/src/order-book';
import { orderRoutes } from '../../services/backends/order/src/routes';

const quiet = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
const STEP_MS = 120;

async function json(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(url, { method: method as 'GET', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('order service with its collaborators (six real services on loopback)', () => {
  const services: RunningService[] = [];
  let order: RunningService;
  let kitchen: RunningService;
  let delivery: RunningService;
  let accounting: RunningService;
  const events: BusEvent[] = [];
  const newOrder = { consumerId: 'c-1001', restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 2 }, { menuItemId: 'm-103', quantity: 1 }], deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' } };

  before(async () => {
    const consumer = await startService({ serviceName: 'consumer', defaults: quiet }, () => ({ router: consumerRoutes() }), {});
    const restaurant = await startService({ serviceName: 'restaurant', defaults: quiet }, () => ({ router: restaurantRoutes() }), {});
    kitchen = await startService({ serviceName: 'kitchen', defaults: quiet }, () => ({ router: kitchenRoutes({ prepMs: 1000 }) }), {});
    delivery = await startService({ serviceName: 'delivery', defaults: quiet }, ({ bus, onShutdown }) => {
      const d = deliveryRoutes({ pickupMs: 1000, travelMs: 200, locationEveryMs: 50, bus });
      onShutdown('couriers', d.stop);
      return { router: d.router };
    }, {});
    accounting = await startService({ serviceName: 'accounting', defaults: quiet }, () => ({ router: accountingRoutes() }), {});
    services.push(consumer, restaurant, kitchen, delivery, accounting);
    order = await startService({ serviceName: 'order', defaults: quiet }, ({ bus, logger, onShutdown }) => {
      const collaborators = new Collaborators({ consumer: consumer.url, restaurant: restaurant.url, kitchen: kitchen.url, delivery: delivery.url, accounting: accounting.url });
      const book = new OrderBook({ collaborators, bus, logger, stepMs: STEP_MS });
      onShutdown('timers', () => book.stop());
      onShutdown('pool', () => collaborators.close());
      return { router: orderRoutes(book, collaborators) };
    }, {});
    services.push(order);
  });
  after(async () => {
    for (const svc of services.reverse()) await svc.close();
  });

  it('places an order: priced lines, total, and a ticket, a delivery and a bill for it', async () => {
    const created = await json(`${order.url}/orders`, 'POST', newOrder);
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ consumerId: 'c-1001', restaurantId: 'r-1', state: 'APPROVED', total: 2 * 1250 + 350, currency: 'USD' });
    const id = created.body.orderId as string;
    expect((await json(`${kitchen.url}/tickets/${id}`)).body).to.include({ orderId: id, state: 'ACCEPTED' });
    expect((await json(`${delivery.url}/deliveries/${id}`)).body).to.include({ orderId: id, state: 'PENDING' });
    expect((await json(`${accounting.url}/bills/${id}`)).body).to.include({ orderId: id, amount: 2850, state: 'AUTHORIZED' });
  });

  it('moves an order through every state to DELIVERED, publishing each change in order', async () => {
    const created = await json(`${order.url}/orders`, 'POST', newOrder);
    const id = created.body.orderId as string;
    const off = await order.bus.subscribe(`orders.${id}`, (e) => events.push(e));
    // The state changes before its event is published (collaborators are told first): wait for the event itself.
    await until(() => events.some((e) => e.state === 'DELIVERED'), 20 * STEP_MS);
    await off();
    expect((await json(`${order.url}/orders/${id}`)).body.state).to.equal('DELIVERED');
    const states = events.filter((e) => e.type === 'order.state-changed').map((e) => e.state);
    expect(states).to.deep.equal(['PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'DELIVERED']);
    expect(events.map((e) => e.seq)).to.deep.equal([2, 3, 4, 5]);
    expect((await json(`${kitchen.url}/tickets/${id}`)).body.state).to.equal('PICKED_UP');
    expect((await json(`${delivery.url}/deliveries/${id}`)).body.state).to.equal('DELIVERED');
  });

  it('cancels before pickup (voiding the bill) and refuses after pickup with 409', async () => {
    const early = (await json(`${order.url}/orders`, 'POST', newOrder)).body.orderId as string;
    const cancelled = await json(`${order.url}/orders/${early}/cancel`, 'POST');
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body.state).to.equal('CANCELLED');
    expect((await json(`${accounting.url}/bills/${early}`)).body.state).to.equal('VOIDED');
    expect((await json(`${kitchen.url}/tickets/${early}`)).body.state).to.equal('CANCELLED');

    const late = (await json(`${order.url}/orders`, 'POST', newOrder)).body.orderId as string;
    await until(async () => (await json(`${order.url}/orders/${late}`)).body.state === 'PICKED_UP' || (await json(`${order.url}/orders/${late}`)).body.state === 'DELIVERED', 20 * STEP_MS);
    const refused = await json(`${order.url}/orders/${late}/cancel`, 'POST');
    expect(refused.status).to.equal(409);
    expect(refused.body.detail).to.match(/can no longer be cancelled/);
  });

  it('lists a consumer’s orders, filtered by state, and rejects an unknown state', async () => {
    const mine = await json(`${order.url}/orders?consumerId=c-1001`);
    expect((mine.body.orders as unknown[]).length).to.be.greaterThan(0);
    const cancelled = await json(`${order.url}/orders?consumerId=c-1001&state=CANCELLED`);
    expect((cancelled.body.orders as Array<{ state: string }>).every((o) => o.state === 'CANCELLED')).to.equal(true);
    expect((await json(`${order.url}/orders?consumerId=c-1002`)).body.orders).to.deep.equal([]);
    expect((await json(`${order.url}/orders?state=LOST`)).status).to.equal(400);
  });

  it('answers bad input with 400/422 problem+json and creates nothing', async () => {
    const before = ((await json(`${order.url}/orders`)).body.orders as unknown[]).length;
    const cases: Array<[unknown, number, RegExp]> = [
      [{ ...newOrder, lineItems: [] }, 422, /lineItems/],
      [{ ...newOrder, restaurantId: 'r-404' }, 422, /no restaurant r-404/],
      [{ ...newOrder, consumerId: 'c-404' }, 422, /no consumer c-404/],
      [{ ...newOrder, lineItems: [{ menuItemId: 'm-999', quantity: 1 }] }, 422, /not on Ajanta's menu: m-999/],
      [{ ...newOrder, lineItems: [{ menuItemId: 'm-101', quantity: 0 }] }, 422, /quantity/],
    ];
    for (const [body, status, detail] of cases) {
      const res = await json(`${order.url}/orders`, 'POST', body);
      expect(res.status, JSON.stringify(body)).to.equal(status);
      expect(res.body.detail).to.match(detail);
    }
    const malformed = await request(`${order.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"consumerId":' });
    expect(malformed.statusCode).to.equal(400);
    await malformed.body.dump();
    expect(((await json(`${order.url}/orders`)).body.orders as unknown[]).length).to.equal(before);
  });

  it('answers an unknown order 404', async () => {
    expect((await json(`${order.url}/orders/o-missing`)).status).to.equal(404);
    expect((await json(`${order.url}/orders/o-missing/cancel`, 'POST')).status).to.equal(404);
  });
});
