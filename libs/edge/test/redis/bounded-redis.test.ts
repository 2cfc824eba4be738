import { expect } from 'chai';
import { Redis } from 'ioredis';
import { BoundedRedis, createRedisClient, RedisTimeoutError, type RedisClient } from '../../src/redis';
import { recordingLogger } from './recording-logger';
import { DedicatedRedis, deleteKeys, requireRedis, SHARED_REDIS_URL, testPrefix } from './redis-server';

// Keeps the event loop busy for `ms` from an immediate: the commands just written are answered by Redis meanwhile, and
// their replies wait on the socket until the loop is free, by then past every deadline.
function busyLoopSoon(ms: number): void {
  setImmediate(() => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  });
}

describe('BoundedRedis (the API-key store’s and response cache’s commands)', function () {
  this.timeout(20_000);

  describe('against the shared Redis', () => {
    const prefix = testPrefix();
    let client: RedisClient;

    before(async () => {
      await requireRedis();
      client = createRedisClient({ url: SHARED_REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 40 }, recordingLogger());
      await new Promise((resolve) => client.once('ready', resolve));
    });
    after(async () => {
      client.disconnect();
      await deleteKeys(SHARED_REDIS_URL, prefix);
    });

    it('writes and reads hashes as objects and values as Buffers with their expiry; a missing key reads as {} and null', async () => {
      const redis = new BoundedRedis(client, 500);
      expect(await redis.hset(`${prefix}h`, { owner: 'c-1', scopes: '["orders:read"]' })).to.equal(2);
      expect(await redis.hgetall(`${prefix}h`)).to.deep.equal({ owner: 'c-1', scopes: '["orders:read"]' });
      expect(await redis.hgetall(`${prefix}absent`)).to.deep.equal({});
      const value = Buffer.from([1, 0, 255, 7]);
      expect(await redis.set(`${prefix}v`, value, 'PX', 60_000)).to.equal('OK');
      expect(await redis.getBuffer(`${prefix}v`)).to.deep.equal(value);
      expect(await redis.getBuffer(`${prefix}absent`)).to.equal(null);
      const inspect = new Redis(SHARED_REDIS_URL);
      try {
        expect(await inspect.pttl(`${prefix}v`)).to.be.within(59_000, 60_000);
      } finally {
        inspect.disconnect();
      }
    });

    it('answers from replies that arrived in time when the process itself was busy past the deadline, where the client’s own timeout fails them', async () => {
      const redis = new BoundedRedis(client, 40);
      await redis.hset(`${prefix}busy`, { owner: 'c-2' });
      const bounded = Array.from({ length: 5 }, () => redis.hgetall(`${prefix}busy`));
      busyLoopSoon(200);
      expect((await Promise.allSettled(bounded)).map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason)))).to.deep.equal(Array(5).fill({ owner: 'c-2' }));
      // The same stall through the client's commandTimeout (40 ms): what the stores got before.
      const timed = Array.from({ length: 5 }, () => client.hgetall(`${prefix}busy`));
      busyLoopSoon(200);
      expect((await Promise.allSettled(timed)).map((s) => s.status === 'rejected' && String(s.reason))).to.deep.equal(Array(5).fill('Error: Command timed out'));
    });
  });

  describe('against a dedicated Redis it may stall', () => {
    let server: DedicatedRedis;
    let client: RedisClient;

    before(async () => {
      server = await DedicatedRedis.start();
      // The client's own timeout is long: only BoundedRedis's deadline can end these commands in time.
      client = createRedisClient({ url: server.url, keyPrefix: '', commandTimeoutMs: 5_000 }, recordingLogger(), { maxReconnectDelayMs: 100 });
      await new Promise((resolve) => client.once('ready', resolve));
    });
    after(async () => {
      client.disconnect();
      await server.dispose();
    });

    it('rejects with RedisTimeoutError at its deadline when Redis stalls, each command at its own, and answers again after it resumes', async () => {
      const redis = new BoundedRedis(client, 100);
      await redis.set('k', Buffer.from('v'), 'PX', 60_000);
      server.pause();
      try {
        const started = performance.now();
        const first = redis.getBuffer('k').catch((err: unknown) => ({ err, ms: performance.now() - started }));
        await new Promise((r) => setTimeout(r, 50));
        const second = redis.hgetall('h').catch((err: unknown) => ({ err, ms: performance.now() - started }));
        const [a, b] = (await Promise.all([first, second])) as [{ err: unknown; ms: number }, { err: unknown; ms: number }];
        for (const outcome of [a, b]) {
          expect(outcome.err).to.be.instanceOf(RedisTimeoutError);
          expect(String(outcome.err)).to.equal('RedisTimeoutError: redis gave no answer within 100 ms');
        }
        expect(a.ms).to.be.within(95, 400);
        expect(b.ms - a.ms).to.be.at.least(30);
      } finally {
        server.resume();
      }
      expect(await redis.getBuffer('k')).to.deep.equal(Buffer.from('v'));
    });
  });
});
