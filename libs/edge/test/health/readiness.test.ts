import { expect } from 'chai';
import { Readiness, redisCheck } from '../../src/health';
import { Redis } from 'ioredis';

function capturingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const logger = {
    lines,
    debug: (obj: object, msg?: string) => lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }),
    info: (obj: object, msg?: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj: object, msg?: string) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    child: () => logger,
  };
  return logger;
}

describe('Readiness', () => {
  it('is ready with no checks, and reports info values', async () => {
    const readiness = new Readiness().setInfo('routingMapVersion', 'sha256:abc').setInfo('routes', 12);
    expect(await readiness.check()).to.deep.equal({ ready: true, draining: false, checks: {}, info: { routingMapVersion: 'sha256:abc', routes: '12' } });
  });

  it('is ready only when every sync and async check passes', async () => {
    const readiness = new Readiness();
    readiness.register('config', () => true);
    readiness.register('redis', async () => true);
    expect((await readiness.check()).ready).to.equal(true);
    readiness.register('jwks', async () => false);
    const report = await readiness.check();
    expect(report.ready).to.equal(false);
    expect(report.checks).to.deep.equal({ config: true, redis: true, jwks: false });
  });

  it('counts a throwing or rejecting check as failing and logs the reason once', async () => {
    const logger = capturingLogger();
    const readiness = new Readiness({ logger });
    readiness.register('sync-throw', () => {
      throw new Error('config missing');
    });
    readiness.register('rejects', () => Promise.reject(new Error('connection refused')));
    const first = await readiness.check();
    await readiness.check();
    expect(first.ready).to.equal(false);
    expect(first.checks).to.deep.equal({ 'sync-throw': false, rejects: false });
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.obj)).to.deep.equal([
      { check: 'sync-throw', reason: 'config missing' },
      { check: 'rejects', reason: 'connection refused' },
    ]);
  });

  it('counts a check slower than the timeout as failing, without waiting for it', async () => {
    const readiness = new Readiness({ checkTimeoutMs: 50 });
    readiness.register('fast', () => true);
    readiness.register('slow', () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 1000)));
    const started = Date.now();
    const report = await readiness.check();
    expect(Date.now() - started).to.be.lessThan(400);
    expect(report.checks).to.deep.equal({ fast: true, slow: false });
    expect(report.ready).to.equal(false);
  });

  it('treats a truthy non-boolean answer as failing: a check must answer true', async () => {
    const readiness = new Readiness();
    readiness.register('odd', () => 'yes' as unknown as boolean);
    expect((await readiness.check()).checks).to.deep.equal({ odd: false });
  });

  it('fails once draining even though every check passes', async () => {
    const readiness = new Readiness();
    readiness.register('redis', () => true);
    expect(readiness.isDraining()).to.equal(false);
    readiness.startDraining();
    const report = await readiness.check();
    expect(readiness.isDraining()).to.equal(true);
    expect(report).to.include({ ready: false, draining: true });
    expect(report.checks).to.deep.equal({ redis: true });
  });

  it('shares one evaluation between concurrent probes', async () => {
    let calls = 0;
    const readiness = new Readiness();
    readiness.register('counted', async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 20));
      return true;
    });
    await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
    expect(calls).to.equal(1);
    await readiness.check();
    expect(calls).to.equal(2);
  });

  it('refuses two checks with the same name', () => {
    const readiness = new Readiness().register('redis', () => true);
    expect(() => readiness.register('redis', () => true)).to.throw('already registered');
  });
});

describe('redisCheck', () => {
  it('passes on PONG, fails on another answer or an error', async () => {
    const readiness = new Readiness();
    readiness.register('up', redisCheck({ ping: async () => 'PONG' }));
    readiness.register('odd', redisCheck({ ping: async () => 'LOADING' }));
    readiness.register('down', redisCheck({ ping: () => Promise.reject(new Error('Stream isn\'t writeable and enableOfflineQueue options is false')) }));
    expect((await readiness.check()).checks).to.deep.equal({ up: true, odd: false, down: false });
  });
});

describe('redisCheck against a real Redis', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const clients: Redis[] = [];
  after(() => clients.forEach((c) => c.disconnect()));

  it('passes while Redis answers and fails, within the check timeout, when it does not', async () => {
    const up = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    clients.push(up);
    try {
      await up.connect();
    } catch (err) {
      throw new Error(`Redis is unreachable at ${url}: ${(err as Error).message}`);
    }
    // Port 1 on loopback refuses connections: a Redis that is configured but down.
    const down = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    down.on('error', () => {});
    clients.push(down);
    const readiness = new Readiness({ checkTimeoutMs: 300 });
    readiness.register('redis', redisCheck(up));
    readiness.register('redis-down', redisCheck(down));
    const started = Date.now();
    const report = await readiness.check();
    expect(Date.now() - started).to.be.lessThan(600);
    expect(report.checks).to.deep.equal({ redis: true, 'redis-down': false });
  });
});
