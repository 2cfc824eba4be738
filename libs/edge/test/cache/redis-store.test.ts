import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { RedisCacheStore, type CacheEntry } from '../../src/cache';
import { decodeEntry, encodeEntry } from '../../src/cache/redis-store';
import { bytes, connectTestRedis, deleteByPrefix, sleep, testPrefix } from './support';

const sample: CacheEntry = {
  status: 200,
  headers: { 'content-type': 'application/octet-stream', vary: 'Accept-Language', link: ['<a>; rel=next', '<b>; rel=prev'] },
  body: bytes(70_000),
  storedAt: 1_700_000_000_123,
};

describe('RedisCacheStore', () => {
  let redis: Redis;
  const prefix = testPrefix();

  before(async () => (redis = await connectTestRedis()));
  after(async () => {
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  it('round-trips an entry with a binary body byte for byte', async () => {
    const store = new RedisCacheStore({ redis, keyPrefix: prefix });
    await store.set('round-trip', sample, 60_000);
    const read = await store.get('round-trip');
    expect(read?.body.equals(sample.body)).to.equal(true);
    expect({ ...read, body: undefined }).to.deep.equal({ ...sample, body: undefined });
  });

  it('writes one key under <prefix>cache: with a PX expiry, gone after the ttl', async () => {
    const store = new RedisCacheStore({ redis, keyPrefix: prefix });
    await store.set('short', sample, 150);
    const pttl = await redis.pttl(`${prefix}cache:short`);
    expect(pttl).to.be.within(1, 150);
    await sleep(250);
    expect(await store.get('short')).to.equal(undefined);
  });

  it('stores the body raw, not base64: the value is barely larger than the body', async () => {
    const store = new RedisCacheStore({ redis, keyPrefix: prefix });
    await store.set('size', sample, 60_000);
    const length = await redis.strlen(`${prefix}cache:size`);
    expect(length - sample.body.length).to.be.below(300);
  });

  it('reads a foreign or truncated value as a miss', async () => {
    const store = new RedisCacheStore({ redis, keyPrefix: prefix });
    await redis.set(`${prefix}cache:foreign`, 'hello', 'PX', 60_000);
    expect(await store.get('foreign')).to.equal(undefined);
    const encoded = encodeEntry(sample);
    expect(decodeEntry(encoded.subarray(0, 20))).to.equal(undefined);
    expect(decodeEntry(Buffer.concat([Buffer.from([2]), encoded.subarray(1)]))).to.equal(undefined);
  });

  it('rejects when Redis does not answer, leaving the decision to the caller', async () => {
    const { Redis: RedisClient } = await import('ioredis');
    const closed = new RedisClient({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    closed.on('error', () => {});
    const store = new RedisCacheStore({ redis: closed, keyPrefix: prefix });
    let failure: unknown;
    await store.get('any').catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(Error);
    await store.set('any', sample, 1000).catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(Error);
    closed.disconnect();
  });
});
