import { expect } from 'chai';
import { MemoryCacheStore, type CacheEntry } from '../../src/cache';
import { sleep } from './support';

function entry(size: number): CacheEntry {
  return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(size, 1), storedAt: Date.now() };
}

describe('MemoryCacheStore', () => {
  it('returns what was stored until the ttl passes', async () => {
    const store = new MemoryCacheStore();
    const stored = entry(10);
    await store.set('k', stored, 80);
    expect(await store.get('k')).to.deep.equal(stored);
    await sleep(120);
    expect(await store.get('k')).to.equal(undefined);
  });

  it('evicts the least recently used entries to stay within its byte budget', async () => {
    const store = new MemoryCacheStore({ maxBytes: 2000 });
    await store.set('a', entry(800), 60_000);
    await store.set('b', entry(800), 60_000);
    await store.get('a');
    await store.set('c', entry(800), 60_000);
    expect(await store.get('b')).to.equal(undefined);
    expect(await store.get('a')).not.to.equal(undefined);
    expect(await store.get('c')).not.to.equal(undefined);
    expect(store.bytes).to.be.at.most(2000);
  });

  it('does not keep an entry larger than its whole budget', async () => {
    const store = new MemoryCacheStore({ maxBytes: 1000 });
    await store.set('huge', entry(5000), 60_000);
    expect(await store.get('huge')).to.equal(undefined);
  });

  it('holds at most maxEntries entries', async () => {
    const store = new MemoryCacheStore({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) await store.set(key, entry(1), 60_000);
    expect(store.size).to.equal(2);
    expect(await store.get('a')).to.equal(undefined);
  });
});
