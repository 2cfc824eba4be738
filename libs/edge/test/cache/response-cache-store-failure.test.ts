import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { RedisCacheStore, cachePolicySchema, responseCache } from '../../src/cache';
import { fixtureTerminal, recordingLogger, request, sleep, startApp, testPrefix, type TestApp } from './support';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on 127.0.0.1:${port} did not start`);
      await sleep(50);
    }
  }
}

describe('responseCache when Redis fails', () => {
  let redisServer: ChildProcess | undefined;
  let redis: Redis;
  let app: TestApp;
  const logger = recordingLogger();
  const failures: string[] = [];

  before(async () => {
    const port = await freePort();
    // A Redis of this suite's own, so stopping it disturbs no other test run.
    redisServer = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitForPing(port);
    // The production client's settings (ratelimit's createRedisClient): no offline queue, one retry, 100 ms command timeout.
    redis = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 100, retryStrategy: () => 100 });
    redis.on('error', () => {});
    await new Promise((resolve) => redis.once('ready', resolve));
    const store = new RedisCacheStore({ redis, keyPrefix: testPrefix() });
    const policy = cachePolicySchema.parse({ ttl: '30s' });
    const cache = responseCache(policy, { store, logger, routeId: 'orders', onStoreFailure: (operation) => failures.push(operation) });
    app = await startApp(cache, fixtureTerminal());
  });

  after(async () => {
    await app?.close();
    redis?.disconnect();
    if (redisServer && redisServer.exitCode === null) {
      redisServer.kill('SIGCONT');
      redisServer.kill('SIGKILL');
    }
  });

  it('caches while Redis answers', async () => {
    await request(app.base, '/items');
    expect((await request(app.base, '/items')).headers.get('x-cache')).to.equal('HIT');
    expect(failures).to.deep.equal([]);
  });

  it('answers MISS within the command timeout while Redis hangs, and tries no write', async () => {
    redisServer!.kill('SIGSTOP');
    try {
      const started = Date.now();
      const res = await request(app.base, '/items');
      expect(Date.now() - started).to.be.below(1000);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-cache')).to.equal('MISS');
      expect(failures).to.deep.equal(['get']);
    } finally {
      redisServer!.kill('SIGCONT');
    }
  });

  it('answers every request as a MISS once Redis is down, logging one warning per 10 s', async () => {
    const exited = new Promise((resolve) => redisServer!.once('exit', resolve));
    redisServer!.kill('SIGKILL');
    await exited;
    await sleep(50);
    const callsBefore = app.calls.get('/items') ?? 0;
    failures.length = 0;
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await request(app.base, '/items');
      expect(Date.now() - started).to.be.below(500);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-cache')).to.equal('MISS');
    }
    expect(app.calls.get('/items')).to.equal(callsBefore + 5);
    expect(failures).to.deep.equal(['get', 'get', 'get', 'get', 'get']);
    // The hang in the previous test already logged; within 10 s no further line is written.
    expect(logger.warnings).to.have.length(1);
    expect(logger.warnings[0]?.msg).to.match(/store failed/);
    expect(app.observed.slice(-5).map((o) => o.cache)).to.deep.equal(['MISS', 'MISS', 'MISS', 'MISS', 'MISS']);
  });
});

describe('responseCache with a store that throws', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('still answers when a write fails, and reports the failure', async () => {
    const failures: string[] = [];
    const store = {
      get: async () => undefined,
      set: async () => {
        throw new Error('READONLY You can’t write against a read only replica.');
      },
    };
    const logger = recordingLogger();
    app = await startApp(
      responseCache(cachePolicySchema.parse({ ttl: '30s' }), { store, logger, routeId: 'orders', onStoreFailure: (op) => failures.push(op) }),
      fixtureTerminal(),
    );
    const res = await request(app.base, '/items');
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-cache')).to.equal('MISS');
    expect(failures).to.deep.equal(['set']);
    expect(logger.warnings).to.have.length(1);
    expect(logger.warnings[0]?.obj).to.include({ routeId: 'orders', operation: 'set' });
  });

  it('logs at most one warning per 10 s per store however many routes fail', async () => {
    let clock = 1_000_000;
    const store = {
      get: async () => {
        throw new Error('Command timed out');
      },
      set: async () => {},
    };
    const logger = recordingLogger();
    const deps = { store, logger, routeId: 'a', now: () => clock };
    const policy = cachePolicySchema.parse({ ttl: '30s' });
    const routeA = responseCache(policy, deps);
    const routeB = responseCache(policy, { ...deps, routeId: 'b' });
    app = await startApp(async (ctx, next) => (ctx.path === '/a' ? routeA(ctx, next) : routeB(ctx, next)), fixtureTerminal());
    await request(app.base, '/a');
    await request(app.base, '/b');
    clock += 9_999;
    await request(app.base, '/a');
    expect(logger.warnings).to.have.length(1);
    clock += 1;
    await request(app.base, '/b');
    expect(logger.warnings).to.have.length(2);
    expect(logger.warnings.map((w) => (w.obj as { routeId: string }).routeId)).to.deep.equal(['a', 'b']);
  });
});
