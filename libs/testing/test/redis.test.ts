/** Redis helpers: per-run prefixes, a clear failure when Redis is missing, prefix-only cleanup, and a dedicated server to fault. */
import { expect } from 'chai';
import Redis from 'ioredis';
import { freePort } from '../src/ports';
import { cleanupPrefix, requireRedis, startDedicatedRedis, testRedisUrl, uniquePrefix, type DedicatedRedis } from '../src/redis';

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('redis test helpers', () => {
  describe('testRedisUrl and uniquePrefix', () => {
    it('reads REDIS_URL, else the local default', () => {
      expect(testRedisUrl({ REDIS_URL: 'redis://cache:6380/2' })).to.equal('redis://cache:6380/2');
      expect(testRedisUrl({})).to.equal('redis://127.0.0.1:6379');
    });

    it('builds portico-test:<label>:<random>: prefixes that differ per call', () => {
      const a = uniquePrefix('ratelimit');
      expect(a).to.match(/^portico-test:ratelimit:[0-9a-f]{12}:$/);
      expect(uniquePrefix('ratelimit')).to.not.equal(a);
    });
  });

  describe('requireRedis', () => {
    it('resolves against the shared test Redis', async () => {
      await requireRedis(testRedisUrl());
    });

    it('fails within about a second, naming the URL and the reason, when nothing listens on the port', async () => {
      const url = `redis://127.0.0.1:${await freePort()}`;
      const started = Date.now();
      const err = await failureOf(requireRedis(url));
      expect(Date.now() - started).to.be.below(1_500);
      expect(err.message).to.equal(`Redis is not reachable at ${url}: connect ECONNREFUSED ${url.slice(8)}. Start it or set REDIS_URL.`);
    });
  });

  describe('cleanupPrefix', () => {
    let client: Redis;
    const prefix = uniquePrefix('cleanup');
    const other = uniquePrefix('cleanup-other');

    before(async () => {
      await requireRedis(testRedisUrl());
      client = new Redis(testRedisUrl());
    });

    after(async () => {
      await cleanupPrefix(client, other);
      client.disconnect();
    });

    it('deletes every key under the prefix with SCAN + UNLINK and nothing else', async () => {
      const pipeline = client.pipeline();
      for (let i = 0; i < 1_200; i += 1) pipeline.set(`${prefix}k${i}`, '1');
      pipeline.set(`${other}keep`, '1');
      await pipeline.exec();
      expect(await cleanupPrefix(client, prefix)).to.equal(1_200);
      expect(await client.exists(`${prefix}k0`, `${prefix}k1199`)).to.equal(0);
      expect(await client.get(`${other}keep`)).to.equal('1');
    });

    it('refuses a prefix outside portico-test:*', async () => {
      const err = await failureOf(cleanupPrefix(client, 'portico:'));
      expect(err.message).to.match(/refusing to delete keys outside portico-test/);
    });
  });

  describe('startDedicatedRedis', function () {
    this.timeout(20_000);
    let redis: DedicatedRedis;
    let client: Redis;

    before(async () => {
      redis = await startDedicatedRedis();
      client = new Redis(redis.url, { commandTimeout: 300, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
    });

    after(async () => {
      client.disconnect();
      await redis.stop();
    });

    it('starts a private redis-server on a free loopback port that answers commands', async () => {
      expect(redis.url).to.equal(`redis://127.0.0.1:${redis.port}`);
      expect(redis.port).to.not.equal(6379);
      await client.set('k', 'v');
      expect(await client.get('k')).to.equal('v');
    });

    it('stops answering while paused and answers again after resume', async () => {
      redis.pause();
      try {
        const err = await failureOf(client.get('k'));
        expect(err.message).to.match(/timed out/i);
        expect((await failureOf(requireRedis(redis.url))).message).to.match(/^Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+: /);
      } finally {
        redis.resume();
      }
      expect(await client.get('k')).to.equal('v');
    });

    it('restarts as a fresh, empty process on the same port', async () => {
      const pid = redis.pid;
      await redis.restart();
      expect(redis.pid).to.not.equal(pid);
      const fresh = new Redis(redis.url);
      try {
        expect(await fresh.get('k')).to.equal(null);
      } finally {
        fresh.disconnect();
      }
    });

    it('stop() ends the process, after which Redis is unreachable', async () => {
      const pid = redis.pid;
      await redis.stop();
      expect(() => process.kill(pid, 0)).to.throw();
      const err = await failureOf(requireRedis(redis.url));
      expect(err.message).to.contain('ECONNREFUSED');
      await redis.stop();
    });
  });
});
