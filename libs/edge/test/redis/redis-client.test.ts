import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createRedisClient, reconnectDelay, type RedisClient } from '../../src/redis';
import { recordingLogger } from './recording-logger';
import { DedicatedRedis, freePort, requireRedis, SHARED_REDIS_URL, startCluster, startSentinel } from './redis-server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('createRedisClient', () => {
  const clients: RedisClient[] = [];
  const open = (url: string, logger = recordingLogger(), commandTimeoutMs = 100) => {
    const client = createRedisClient({ url, keyPrefix: 'portico-test:', commandTimeoutMs }, logger, { maxReconnectDelayMs: 100 });
    clients.push(client);
    return { client, logger };
  };
  after(() => clients.forEach((c) => c.disconnect()));

  describe('against the shared Redis', () => {
    before(() => requireRedis());

    it('connects, answers commands and logs one "redis connected" line without the password', async () => {
      const { client, logger } = open(SHARED_REDIS_URL);
      await waitFor('ready', () => client.status === 'ready');
      expect(await client.ping()).to.equal('PONG');
      expect(logger.count('info', 'redis connected')).to.equal(1);
      expect(JSON.stringify(logger.lines)).to.not.match(/:[^:@/]+@/);
    });

    it('configures fail-fast behaviour: no offline queue, one retry, the configured command timeout', () => {
      const { client } = open(SHARED_REDIS_URL, recordingLogger(), 75);
      const options = (client as Redis).options;
      expect(options).to.include({ enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 75, connectTimeout: 1000, lazyConnect: false });
    });
  });

  describe('when Redis goes away and comes back', () => {
    let server: DedicatedRedis;
    before(async () => (server = await DedicatedRedis.start()));
    after(() => server.dispose());

    it('fails commands at once while down, logs one line per transition, and resumes on the same client', async function () {
      this.timeout(15000);
      const { client, logger } = open(server.url);
      await waitFor('ready', () => client.status === 'ready');
      await server.stop();
      await waitFor('disconnect', () => client.status !== 'ready');
      await sleep(600); // several reconnect attempts at ≤ 100 ms apart
      const started = Date.now();
      const failure = await client.ping().then(() => undefined, (err: Error) => err);
      expect(failure, 'ping while down').to.be.instanceOf(Error);
      expect(Date.now() - started).to.be.below(80);
      expect(logger.count('warn', /connection lost/)).to.equal(1);

      await server.start();
      await waitFor('reconnect', () => client.status === 'ready');
      expect(await client.ping()).to.equal('PONG');
      expect(logger.count('info', 'redis connected')).to.equal(2);
      expect(logger.count('warn', /connection lost/)).to.equal(1);
    });

    it('logs one "unreachable" line when Redis is down from the start, then connects once it appears', async function () {
      this.timeout(15000);
      const port = await freePort();
      const { client, logger } = open(`redis://127.0.0.1:${port}`);
      await sleep(500);
      expect(logger.count('warn', /unreachable/)).to.equal(1);
      expect(client.status).to.not.equal('end');
      const late = await DedicatedRedis.start(port);
      try {
        await waitFor('late connect', () => client.status === 'ready');
        expect(logger.count('info', 'redis connected')).to.equal(1);
      } finally {
        await late.dispose();
      }
    });
  });

  describe('behind Sentinel and as a Cluster', () => {
    const servers: DedicatedRedis[] = [];
    after(() => Promise.all(servers.map((s) => s.dispose())));

    it('finds the primary through Sentinel and uses the database from the URL', async function () {
      this.timeout(15000);
      const primary = await DedicatedRedis.start();
      servers.push(primary, await startSentinel(primary, 'portico-primary'));
      const sentinel = servers[1]!;
      const { client, logger } = open(`redis+sentinel://127.0.0.1:${sentinel.port}/portico-primary/3`);
      await waitFor('ready', () => client.status === 'ready');
      await client.set('sentinel-probe', 'ok');
      const direct = createRedisClient({ url: `${primary.url}/3`, keyPrefix: '', commandTimeoutMs: 500 }, recordingLogger());
      clients.push(direct);
      await waitFor('direct ready', () => direct.status === 'ready');
      expect(await direct.get('sentinel-probe')).to.equal('ok');
      expect(logger.count('info', 'redis connected')).to.equal(1);
    });

    it('connects to a Cluster from seed nodes and routes keys to their slots', async function () {
      this.timeout(20000);
      const nodes = await startCluster();
      servers.push(...nodes);
      const { client } = open(`redis+cluster://127.0.0.1:${nodes[0]!.port},127.0.0.1:${nodes[1]!.port}`);
      await waitFor('cluster ready', () => client.status === 'ready');
      const keys = Array.from({ length: 30 }, (_, i) => `cluster-probe-${i}`);
      await Promise.all(keys.map((k) => client.set(k, k)));
      expect(await Promise.all(keys.map((k) => client.get(k)))).to.deep.equal(keys);
    });
  });

  it('backs off from 50 ms, doubling, capped, and never stops retrying', () => {
    expect([1, 2, 3, 4, 10, 1000].map((n) => reconnectDelay(n, 2000))).to.deep.equal([50, 100, 200, 400, 2000, 2000]);
  });
});
