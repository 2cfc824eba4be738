import { expect } from 'chai';
import type { Server } from 'node:http';
import { createRedisClient, type RedisClient } from '../../src/redis';
import { MemoryRateLimitStore, rateLimitPolicySchema, RedisRateLimitStore } from '../../src/ratelimit';
import { recordingLogger } from '../redis/recording-logger';
import { DedicatedRedis } from '../redis/redis-server';
import { listen, rateLimitApp } from './rate-limit-app';

const TIMEOUT_MS = 100;
// The limiter may overrun the command timeout only by timer and scheduling jitter. On a shared 2-core machine
// running other suites that jitter reaches ~100 ms; without the deadline a stalled Redis holds a request forever.
const MARGIN_MS = 150;
// A whole HTTP round trip on a busy 2-core machine; a request waiting for a stalled Redis would take seconds or forever.
const ROUND_TRIP_BOUND_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rateLimit middleware when Redis fails', () => {
  let redis: DedicatedRedis;
  let client: RedisClient;
  let server: Server;
  let base: string;
  const logger = recordingLogger();
  const failures: string[] = [];
  const limiterMs: number[] = [];

  before(async () => {
    redis = await DedicatedRedis.start();
    client = createRedisClient({ url: redis.url, keyPrefix: 'rl:', commandTimeoutMs: TIMEOUT_MS }, logger, { maxReconnectDelayMs: 100 });
    await new Promise((resolve) => client.once('ready', resolve));
    const deps = {
      store: new RedisRateLimitStore(client, { prefix: 'rl:', timeoutMs: TIMEOUT_MS }),
      fallback: new MemoryRateLimitStore(),
      logger,
      expectedReplicas: 3,
      serviceName: 'test-bff',
      onStoreFailure: (routeId: string) => failures.push(routeId),
    };
    const app = rateLimitApp(
      [
        { id: 'browse', path: '/open', policy: rateLimitPolicySchema.parse({ limit: 10, per: '60s' }) },
        { id: 'issue-token', path: '/closed', policy: rateLimitPolicySchema.parse({ limit: 10, per: '60s', onStoreFailure: 'closed' }) },
      ],
      deps,
      { limiterMs },
    );
    ({ server, base } = await listen(app));
  });
  after(async () => {
    server.close();
    client.disconnect();
    await redis.dispose();
  });

  const timed = async (path: string, clientAddress: string) => {
    const started = Date.now();
    const res = await fetch(`${base}${path}`, { headers: { 'x-test-client': clientAddress } });
    const body = await res.text();
    return { res, body, ms: Date.now() - started };
  };

  it('decides through Redis while it is healthy', async () => {
    const { res } = await timed('/open', '10.1.0.1');
    expect(res.status).to.equal(200);
    expect(res.headers.get('ratelimit-policy')).to.equal('"browse";q=10;w=60');
    expect(failures).to.deep.equal([]);
  });

  it('never holds a request longer than the command timeout while Redis is stalled (SIGSTOP)', async function () {
    this.timeout(10000);
    // Warm 12 keep-alive connections so the stalled burst measures waiting, not connection set-up.
    await Promise.all(Array.from({ length: 12 }, (_, i) => timed('/open', `10.1.9.${i}`)));
    failures.length = 0;
    logger.lines.length = 0;
    redis.pause();
    try {
      // One stalled request per route first, so the measured burst does not pay for compiling the failure path.
      await Promise.all([timed('/open', '10.1.8.1'), timed('/closed', '10.1.8.1')]);
      failures.length = 0;
      limiterMs.length = 0;
      const results = await Promise.all([
        ...Array.from({ length: 8 }, () => timed('/open', '10.1.1.1')),
        ...Array.from({ length: 4 }, () => timed('/closed', '10.1.1.1')),
      ]);
      expect(limiterMs).to.have.length(12);
      expect(Math.max(...limiterMs), `slowest limiter of ${limiterMs.map(Math.round).join(', ')} ms`).to.be.below(TIMEOUT_MS + MARGIN_MS);
      expect(Math.max(...results.map((r) => r.ms)), `slowest of ${results.map((r) => r.ms).join(', ')} ms`).to.be.below(ROUND_TRIP_BOUND_MS);
      const open = results.slice(0, 8);
      // Fail open: the per-process share of the limit, ceil(10 / 3 replicas) = 4, then 429.
      expect(open.map((r) => r.res.status).sort()).to.deep.equal([200, 200, 200, 200, 429, 429, 429, 429]);
      for (const { res } of open) expect(res.headers.get('ratelimit-policy')).to.equal('"browse";q=4;w=60');
      for (const { res, body } of results.slice(8)) {
        expect(res.status).to.equal(503);
        expect(res.headers.get('content-type')).to.equal('application/problem+json');
        expect(res.headers.get('retry-after')).to.equal('1');
        expect(JSON.parse(body)).to.include({ type: 'urn:portico:problem:rate-limit-unavailable', status: 503 });
        expect(body).to.not.match(/redis|timed out|127\.0\.0\.1/i);
      }
    } finally {
      redis.resume();
    }
    expect(failures.filter((r) => r === 'browse')).to.have.length(8);
    expect(failures.filter((r) => r === 'issue-token')).to.have.length(4);
    // One warning per route per 10 s, however many requests failed (the first stalled request logged it).
    expect(logger.count('warn', /rate-limit store unavailable; failing open/)).to.equal(1);
    expect(logger.count('warn', /rate-limit store unavailable; failing closed/)).to.equal(1);
  });

  it('fails open or closed at once while Redis is down, and resumes Redis decisions on the same client when it is back', async function () {
    this.timeout(15000);
    await redis.stop();
    await sleep(100);
    const down = await Promise.all([timed('/open', '10.1.2.1'), timed('/closed', '10.1.2.1')]);
    expect(down.map((r) => r.res.status)).to.deep.equal([200, 503]);
    expect(down[0]!.res.headers.get('ratelimit-policy')).to.equal('"browse";q=4;w=60');
    for (const { ms } of down) expect(ms).to.be.below(ROUND_TRIP_BOUND_MS);
    expect(Math.max(...limiterMs.slice(-2))).to.be.below(TIMEOUT_MS + MARGIN_MS);

    await redis.start();
    const until = Date.now() + 5000;
    while (client.status !== 'ready' && Date.now() < until) await sleep(20);
    // The first decisions may still fall back while the script is re-sent to the fresh server; poll, bounded.
    let policy: string | null = null;
    for (let i = 0; i < 50 && policy !== '"browse";q=10;w=60'; i++) {
      const { res } = await timed('/open', '10.1.3.1');
      expect(res.status).to.equal(200);
      policy = res.headers.get('ratelimit-policy');
      if (policy !== '"browse";q=10;w=60') await sleep(50);
    }
    expect(policy, 'decided by Redis again').to.equal('"browse";q=10;w=60');
    const before = Number(/r=(\d+)/.exec((await timed('/open', '10.1.3.1')).res.headers.get('ratelimit') ?? '')?.[1]);
    const after = Number(/r=(\d+)/.exec((await timed('/open', '10.1.3.1')).res.headers.get('ratelimit') ?? '')?.[1]);
    expect(after, 'counted in Redis').to.equal(before - 1);
    expect((await timed('/closed', '10.1.3.1')).res.status).to.equal(200);
  });
});
