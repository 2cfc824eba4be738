import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createRedisClient, type RedisClient } from '../../src/redis';
import { RateLimitStoreError, RedisRateLimitStore } from '../../src/ratelimit';
import { recordingLogger } from '../redis/recording-logger';
import { DedicatedRedis, deleteKeys, readsProcessed, requireRedis, SHARED_REDIS_URL, startCluster, testPrefix } from '../redis/redis-server';
import { rateLimitStoreContract } from './store-suite';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failureOf = (work: Promise<unknown>) => work.then(() => undefined, (err: unknown) => err);

describe('RedisRateLimitStore', () => {
  describe('against the shared Redis', () => {
    const prefix = `${testPrefix()}rl:`;
    let client: RedisClient;
    let inspect: Redis;
    let store: RedisRateLimitStore;
    before(async () => {
      await requireRedis();
      client = createRedisClient({ url: SHARED_REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 500 }, recordingLogger());
      inspect = new Redis(SHARED_REDIS_URL);
      await new Promise((resolve) => client.once('ready', resolve));
      store = new RedisRateLimitStore(client, { prefix, timeoutMs: 500 });
    });
    after(async () => {
      await deleteKeys(SHARED_REDIS_URL, prefix);
      client.disconnect();
      inspect.disconnect();
    });

    describe('store contract', () => rateLimitStoreContract(() => store));

    it('keeps one hash per decision key under a hash tag, with a TTL to the end of the next window', async () => {
      await store.decide('svc:route:60s:ip:10.0.0.1', 5, 60_000);
      const key = `${prefix}{svc:route:60s:ip:10.0.0.1}`;
      expect(store.redisKey('svc:route:60s:ip:10.0.0.1')).to.equal(key);
      expect(await inspect.hgetall(key)).to.include({ c: '1', p: '0' });
      expect(await inspect.pttl(key)).to.be.within(60_000, 120_000);
    });

    it('decides from a reply that arrived in time when the process itself was busy past the deadline', async () => {
      // Both deadlines (the store's, and the client's commandTimeout) are well under the 200 ms the loop is kept busy.
      const lagging = createRedisClient({ url: SHARED_REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 40 }, recordingLogger());
      try {
        await new Promise((resolve) => lagging.once('ready', resolve));
        const quick = new RedisRateLimitStore(lagging, { prefix, timeoutMs: 40 });
        await quick.decide('busy-loop-warm', 5, 60_000);
        const decisions = Array.from({ length: 5 }, () => quick.decide('busy-loop', 5, 60_000));
        // The store writes a turn's decisions from an immediate; this one runs right after that write, so Redis answers
        // while the process is busy and the reply waits on the socket until the deadlines have passed.
        setImmediate(() => {
          const until = performance.now() + 200;
          while (performance.now() < until);
        });
        const settled = await Promise.allSettled(decisions);
        expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.allowed : String(s.reason)))).to.deep.equal(Array(5).fill(true));
        expect(await inspect.hget(quick.redisKey('busy-loop'), 'c')).to.equal('5');
      } finally {
        lagging.disconnect();
      }
    });

    it('escapes braces in identities so the hash tag stays the whole decision key', () => {
      expect(store.redisKey('r:sub:a}b{c')).to.equal(`${prefix}{r:sub:a%7Db%7Bc}`);
    });

    it('writes nothing for a rejected request', async () => {
      for (let i = 0; i < 2; i++) await store.decide('rejected-no-write', 2, 60_000);
      const key = store.redisKey('rejected-no-write');
      const before = await inspect.hgetall(key);
      const ttlBefore = await inspect.pttl(key);
      for (let i = 0; i < 5; i++) expect((await store.decide('rejected-no-write', 2, 60_000)).allowed).to.equal(false);
      expect(await inspect.hgetall(key)).to.deep.equal(before);
      expect(await inspect.pttl(key)).to.be.at.most(ttlBefore);
    });
  });

  describe('against a dedicated Redis it may flush, stall and stop', () => {
    let server: DedicatedRedis;
    let client: RedisClient;
    let admin: Redis;
    let store: RedisRateLimitStore;
    before(async () => {
      server = await DedicatedRedis.start();
      client = createRedisClient({ url: server.url, keyPrefix: 'rl:', commandTimeoutMs: 100 }, recordingLogger(), { maxReconnectDelayMs: 100 });
      admin = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 });
      admin.on('error', () => {});
      await new Promise((resolve) => client.once('ready', resolve));
      store = new RedisRateLimitStore(client, { prefix: 'rl:', timeoutMs: 100 });
    });
    after(async () => {
      client.disconnect();
      admin.disconnect();
      await server.dispose();
    });

    it('reloads the script after SCRIPT FLUSH (NOSCRIPT) and keeps counting', async () => {
      expect((await store.decide('noscript', 3, 60_000)).remaining).to.equal(2);
      expect(await admin.script('EXISTS', RedisRateLimitStore.scriptSha)).to.deep.equal([1]);
      await admin.script('FLUSH');
      expect(await admin.script('EXISTS', RedisRateLimitStore.scriptSha)).to.deep.equal([0]);
      expect((await store.decide('noscript', 3, 60_000)).remaining).to.equal(1);
      expect(await admin.script('EXISTS', RedisRateLimitStore.scriptSha)).to.deep.equal([1]);
    });

    it('sends the decisions of one event-loop turn in one write, and counts every one, re-sending the script after SCRIPT FLUSH', async () => {
      await store.decide('script-loaded', 5, 60_000);
      const readsBefore = await readsProcessed(admin);
      const batched = await Promise.all(Array.from({ length: 20 }, (_, i) => store.decide(`batched-${i}`, 5, 60_000)));
      expect(batched.map((d) => d.remaining)).to.deep.equal(Array(20).fill(4));
      // What the server read from its clients meanwhile: the batch, and the admin's INFO; one write per decision is 21.
      expect((await readsProcessed(admin)) - readsBefore).to.be.at.most(3);
      await admin.script('FLUSH');
      const decisions = await Promise.all(Array.from({ length: 20 }, () => store.decide('pipelined', 15, 60_000)));
      expect(decisions.filter((d) => d.allowed)).to.have.length(15);
      expect(decisions.map((d) => d.remaining).sort((a, b) => a - b).slice(5)).to.deep.equal(Array.from({ length: 15 }, (_, i) => i));
      expect(await admin.hget('rl:{pipelined}', 'c')).to.equal('15');
      expect(await admin.script('EXISTS', RedisRateLimitStore.scriptSha)).to.deep.equal([1]);
    });

    it('expires each stalled decision at its own deadline when decisions start at different times', async function () {
      this.timeout(5000);
      // Shorter than the client's 100 ms command timeout, so the store's own deadline is what answers.
      const quick = new RedisRateLimitStore(client, { prefix: 'rl:', timeoutMs: 60 });
      server.pause();
      try {
        const timed = async (delayMs: number) => {
          await sleep(delayMs);
          const started = performance.now();
          const err = await failureOf(quick.decide(`spread-${delayMs}`, 3, 60_000));
          return { err, ms: performance.now() - started };
        };
        for (const { err, ms } of await Promise.all([0, 20, 45].map(timed))) {
          expect(err).to.be.instanceOf(RateLimitStoreError).with.property('message').that.includes('within 60 ms');
          expect(ms).to.be.within(55, 60 + 50);
        }
      } finally {
        server.resume();
      }
      await sleep(150);
    });

    it('gives up with a timeout error within the deadline when Redis stalls, and answers again after it resumes', async function () {
      this.timeout(5000);
      server.pause();
      try {
        const started = Date.now();
        const errors = await Promise.all(Array.from({ length: 5 }, () => failureOf(store.decide('stall', 3, 60_000))));
        const waited = Date.now() - started;
        for (const err of errors) expect(err).to.be.instanceOf(RateLimitStoreError).with.property('reason', 'timeout');
        expect(waited).to.be.below(100 + 50);
      } finally {
        server.resume();
      }
      await sleep(50);
      // Another key: the stalled commands were already sent, so Redis applies them once it resumes.
      expect((await store.decide('after-stall', 3, 60_000)).allowed).to.equal(true);
    });

    it('fails at once with "unavailable" while Redis is down, and decides again from Redis once it is back', async function () {
      this.timeout(10000);
      await server.stop();
      await sleep(100);
      const started = Date.now();
      const err = await failureOf(store.decide('down', 3, 60_000));
      expect(Date.now() - started).to.be.below(80);
      expect(err).to.be.instanceOf(RateLimitStoreError).with.property('reason', 'unavailable');
      await server.start();
      const until = Date.now() + 5000;
      while (client.status !== 'ready' && Date.now() < until) await sleep(20);
      // A fresh server has an empty script cache, so this also exercises the NOSCRIPT path; retried (bounded)
      // because a loaded machine may need more than 100 ms for the first EVAL.
      for (let i = 0; i < 20 && (await admin.exists('rl:{down}')) === 0; i++) await store.decide('down', 3, 60_000).catch(() => sleep(50));
      expect(await admin.hget('rl:{down}', 'c'), 'counted in Redis again').to.equal('1');
      expect(await store.decide('down', 3, 60_000)).to.include({ allowed: true, remaining: 1 });
    });
  });

  describe('on a Redis Cluster', () => {
    let nodes: DedicatedRedis[] = [];
    let client: RedisClient;
    let store: RedisRateLimitStore;
    before(async function () {
      this.timeout(20000);
      nodes = await startCluster();
      client = createRedisClient({ url: `redis+cluster://127.0.0.1:${nodes[0]!.port}`, keyPrefix: 'rl:', commandTimeoutMs: 500 }, recordingLogger());
      const until = Date.now() + 10_000;
      while (client.status !== 'ready' && Date.now() < until) await sleep(20);
      if (client.status !== 'ready') throw new Error(`the cluster client is ${client.status} after 10 s`);
      store = new RedisRateLimitStore(client, { prefix: 'rl:', timeoutMs: 500 });
    });
    after(async () => {
      client?.disconnect();
      await Promise.all(nodes.map((n) => n.dispose()));
    });

    describe('store contract', () => rateLimitStoreContract(() => store));

    it('runs the script on whichever node owns each decision key', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `spread:${i}`);
      for (let round = 0; round < 3; round++) await Promise.all(keys.map((k) => store.decide(k, 2, 60_000)));
      let held = 0;
      for (const node of nodes) {
        const direct = new Redis(node.url);
        const here = await direct.keys('rl:{spread:*');
        direct.disconnect();
        expect(here.length, `keys on ${node.url}`).to.be.above(0);
        held += here.length;
      }
      expect(held).to.equal(keys.length);
      for (const k of keys) expect((await store.decide(k, 2, 60_000)).allowed, k).to.equal(false);
    });
  });
});
