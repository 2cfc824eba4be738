import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryEventBus, RedisEventBus, type BusEvent, type EventBus } from '../../src/events';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };

function event(n: number): BusEvent {
  return { id: String(n), type: 'order.state-changed', at: new Date(0).toISOString(), state: `S${n}` };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function busSuite(name: string, make: () => Promise<{ a: EventBus; b: EventBus; close(): Promise<void> }>): void {
  describe(name, () => {
    let pair: { a: EventBus; b: EventBus; close(): Promise<void> };
    beforeEach(async () => (pair = await make()));
    afterEach(async () => pair.close());

    it('delivers published events, in order, to every subscriber of the channel only', async () => {
      const seen1: string[] = [];
      const seen2: string[] = [];
      const other: string[] = [];
      await pair.b.subscribe('orders.o-1', (e) => seen1.push(e.id));
      await pair.b.subscribe('orders.o-1', (e) => seen2.push(e.id));
      await pair.b.subscribe('orders.o-2', (e) => other.push(e.id));
      for (let i = 1; i <= 5; i++) await pair.a.publish('orders.o-1', event(i));
      await until(() => seen1.length === 5 && seen2.length === 5);
      expect(seen1).to.deep.equal(['1', '2', '3', '4', '5']);
      expect(seen2).to.deep.equal(seen1);
      expect(other).to.deep.equal([]);
    });

    it('stops delivering after unsubscribe', async () => {
      const seen: string[] = [];
      const off = await pair.b.subscribe('orders.o-3', (e) => seen.push(e.id));
      await pair.a.publish('orders.o-3', event(1));
      await until(() => seen.length === 1);
      await off();
      await pair.a.publish('orders.o-3', event(2));
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).to.deep.equal(['1']);
    });
  });
}

describe('EventBus', () => {
  busSuite('MemoryEventBus (one process)', async () => {
    const bus = new MemoryEventBus();
    return { a: bus, b: bus, close: () => bus.close() };
  });

  busSuite('RedisEventBus (two connections, real Redis)', async () => {
    const prefix = `portico-test:events:${randomUUID()}:`;
    const clients = [REDIS_URL, REDIS_URL].map((url) => new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 1000 }));
    try {
      await Promise.all(clients.map((c) => c.ping()));
    } catch (err) {
      throw new Error(`Redis is not reachable at ${REDIS_URL}: ${(err as Error).message}. Start it or set REDIS_URL.`);
    }
    const [ca, cb] = clients as [Redis, Redis];
    const a = new RedisEventBus(ca, { logger: silent, prefix });
    const b = new RedisEventBus(cb, { logger: silent, prefix });
    return {
      a,
      b,
      close: async () => {
        await a.close();
        await b.close();
        ca.disconnect();
        cb.disconnect();
      },
    };
  });
});
