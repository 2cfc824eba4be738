import { expect } from 'chai';
import { MemoryRateLimitStore } from '../../src/ratelimit';
import { rateLimitStoreContract } from './store-suite';

describe('MemoryRateLimitStore', () => {
  describe('store contract', () => {
    const store = new MemoryRateLimitStore();
    rateLimitStoreContract(() => store);
  });

  it('follows an injected clock across windows', async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryRateLimitStore({ now: () => now });
    for (let i = 0; i < 3; i++) expect((await store.decide('k', 3, 1000)).allowed).to.equal(true);
    expect((await store.decide('k', 3, 1000)).allowed).to.equal(false);
    now += 2000;
    expect(await store.decide('k', 3, 1000)).to.deep.equal({ allowed: true, limit: 3, remaining: 2, resetMs: 1000, retryAfterMs: 0 });
  });

  it('never holds more than maxKeys keys', async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 50 });
    for (let i = 0; i < 500; i++) await store.decide(`client-${i}`, 10, 60_000);
    expect(store.size).to.equal(50);
  });

  it('drops idle keys after two windows', async () => {
    const store = new MemoryRateLimitStore();
    await store.decide('idle', 10, 50);
    expect(store.size).to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(store.size).to.equal(0);
  });

  it('rejects arguments no window can satisfy', async () => {
    const store = new MemoryRateLimitStore();
    for (const [limit, windowMs, cost] of [[0, 1000, 1], [5, 0, 1], [5, 1000, 6], [1.5, 1000, 1]] as const) {
      const err = await store.decide('k', limit, windowMs, cost).then(() => undefined, (e: unknown) => e);
      expect(err, `${limit}/${windowMs}/${cost}`).to.be.instanceOf(RangeError);
    }
  });
});
