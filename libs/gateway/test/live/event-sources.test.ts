import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisEventBus, startService, type RunningService } from '@portico/edge';
import { Collaborators } from '../../../../services/backends/order/src/collaborators';
import type { Order } from '../../../../services/backends/order/src/order';
import { OrderBook } from '../../../../services/backends/order/src/order-book';
import { orderRoutes } from '../../../../services/backends/order/src/routes';
import { deliveryRoutes } from '../../../../services/backends/delivery/src/routes';
import { createBff, type Bff } from '../../src/create-bff';
import { liveOrdersForBff } from '../../src/live/bff-live';
import type { LiveOrders } from '../../src/live/live-orders';
import { busEventSource } from '../../src/live/order-event-source';
import { AUTH_ENV, connectAs, startLiveBff, token, until, type LiveHarness } from './live-harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
const quiet = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };

function anOrder(orderId: string, consumerId: string): Order {
  const at = new Date().toISOString();
  return { orderId, consumerId, restaurantId: 'r-1', lineItems: [], deliveryAddress: { street: '1 Main St', city: 'Oakland', zip: '94610' }, total: 0, currency: 'USD', state: 'APPROVED', createdAt: at, updatedAt: at, history: [{ state: 'APPROVED', at }] };
}

describe('live order event sources', function () {
  this.timeout(20_000);

  describe('Redis bus (real Redis)', () => {
    let h: LiveHarness;
    const clients: Redis[] = [];
    let publisher: RedisEventBus;
    let subscriber: RedisEventBus;

    before(async () => {
      const prefix = `portico-test:live:${randomUUID()}:`;
      for (let i = 0; i < 2; i++) clients.push(new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 1000, lazyConnect: true }));
      try {
        await Promise.all(clients.map(async (c) => (await c.connect(), await c.ping())));
      } catch (err) {
        throw new Error(`Redis is unreachable at ${REDIS_URL}: ${(err as Error).message}`);
      }
      publisher = new RedisEventBus(clients[0]!, { logger: silent, prefix });
      subscriber = new RedisEventBus(clients[1]!, { logger: silent, prefix });
      h = await startLiveBff({ source: busEventSource(subscriber) });
    });
    after(async () => {
      await h.close();
      await publisher.close();
      await subscriber.close();
      for (const c of clients) c.disconnect();
    });

    it('delivers what another process publishes on orders.<orderId>, in order, to every socket of the order', async () => {
      const [a, b] = await Promise.all([connectAs(h, 'o-1'), connectAs(h, 'o-1')]);
      for (let i = 1; i <= 4; i++) await publisher.publish('orders.o-1', { id: `o-1:${i}`, type: 'order.state-changed', at: new Date().toISOString(), n: i });
      await until(() => a.messages.length === 4 && b.messages.length === 4);
      expect(a.messages.map((m) => m.n)).to.deep.equal([1, 2, 3, 4]);
      expect(b.messages).to.deep.equal(a.messages);
      expect(h.live.stats().upstreamSubscriptions).to.equal(1);
      a.ws.close();
      b.ws.close();
      await Promise.all([a.closed, b.closed]);
    });
  });

  describe('backend SSE streams (real order and delivery services, no Redis)', () => {
    let order: RunningService;
    let delivery: RunningService;
    let book: OrderBook;
    let bff: Bff;
    let live: LiveOrders;
    let ws: string;
    let dir: string;

    before(async () => {
      delivery = await startService({ serviceName: 'delivery', defaults: quiet }, ({ bus, onShutdown }) => {
        const d = deliveryRoutes({ pickupMs: 1000, travelMs: 200, locationEveryMs: 50, bus });
        onShutdown('couriers', d.stop);
        return { router: d.router };
      }, {});
      order = await startService({ serviceName: 'order', defaults: quiet }, ({ bus, logger, onShutdown }) => {
        const unreachable = 'http://127.0.0.1:9';
        const collaborators = new Collaborators({ consumer: unreachable, restaurant: unreachable, kitchen: unreachable, delivery: delivery.url, accounting: unreachable });
        book = new OrderBook({ collaborators, bus, logger, stepMs: 60_000 });
        onShutdown('timers', () => book.stop());
        onShutdown('pool', () => collaborators.close());
        return { router: orderRoutes(book, collaborators) };
      }, {});
      dir = mkdtempSync(join(tmpdir(), 'portico-live-sse-'));
      writeFileSync(join(dir, 'routes.yaml'), 'routes:\n  - { id: get-order, method: GET, path: /orders/:orderId, upstream: "${ORDER_SERVICE_URL}/orders/:orderId" }\n');
      bff = await createBff({
        serviceName: 'live-sse-bff',
        routesFile: join(dir, 'routes.yaml'),
        upstreams: { order: 'ORDER_SERVICE_URL', delivery: 'DELIVERY_SERVICE_URL' },
        env: { ...AUTH_ENV, PORT: '0', LOG_LEVEL: 'silent', ORDER_SERVICE_URL: order.url, DELIVERY_SERVICE_URL: delivery.url },
        signals: false,
        watch: false,
      });
      live = liveOrdersForBff(bff);
      bff.mount('live orders', live);
      const server = await bff.listen(0, '127.0.0.1');
      ws = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await bff.close();
      await order.close();
      await delivery.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('follows an order through both backends once and pushes state changes and courier positions', async () => {
      book.add(anOrder('o-live-1', 'c-1'));
      const res = await fetch(`${delivery.url}/deliveries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: 'o-live-1', pickupAddress: 'Kitchen', deliveryAddress: { street: '1 Main St', city: 'Oakland', zip: '94610' } }) });
      expect(res.status).to.equal(201);
      const c = await connectAs({ ws }, 'o-live-1');
      const d = await connectAs({ ws }, 'o-live-1');
      expect(live.stats().upstreamSubscriptions).to.equal(1);
      const o = book.get('o-live-1')!;
      await book.transition(o, 'PREPARING');
      await book.transition(o, 'READY_FOR_PICKUP');
      await book.transition(o, 'PICKED_UP');
      await until(() => c.messages.filter((m) => m.type === 'courier.location').length >= 3 && c.messages.some((m) => m.state === 'PICKED_UP'), 5000);
      const states = c.messages.filter((m) => m.type === 'order.state-changed').map((m) => m.state);
      expect(states).to.deep.equal(['PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP']);
      const seqs = c.messages.map((m) => Number(String(m.id).split('.')[1]));
      expect(seqs).to.deep.equal(seqs.map((_, i) => i + 1));
      await until(() => d.messages.length >= c.messages.length);
      expect(d.messages.slice(0, c.messages.length)).to.deep.equal(c.messages);
      c.ws.close();
      d.ws.close();
      await Promise.all([c.closed, d.closed]);
    });

    it("checks ownership against the order service: someone else's order is 404 before the upgrade", async () => {
      book.add(anOrder('o-live-2', 'c-2'));
      const refused = await connectAs({ ws }, 'o-live-2', token('c-1')).then(() => 0, (err: { status: number }) => err.status);
      expect(refused).to.equal(404);
      const missing = await connectAs({ ws }, 'o-nope', token('c-1')).then(() => 0, (err: { status: number }) => err.status);
      expect(missing).to.equal(404);
    });
  });
});
