/**
 * Redis outages under steady load, against the real fleet wired to a redis-server this file owns: hung (SIGSTOP),
 * then stopped, then restarted empty. web-bff's routes fail open (rate limits fall back to a per-process limit, the
 * cache misses) within the Redis command timeout; public-api's order creation fails closed with 503 problem+json
 * while its reads keep serving the API key it checked before the outage (a key never seen answers 503); readiness
 * follows Redis; afterwards limits and cache live in Redis again without restarting either BFF.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisApiKeyStore, generateApiKey } from '@portico/edge';
import { startDedicatedRedis, uniquePrefix, type DedicatedRedis } from '@portico/testing';
import { startFleet, type Fleet } from '../support/fleet';
import { BACKENDS, countBy, isProblem, localSigner, probe, readyz, sleep, until } from '../support/fault-kit';
import { describeSummary, runLoad, summarize, type Sample } from '../support/load';

const COMMAND_TIMEOUT_MS = 100; // REDIS_COMMAND_TIMEOUT, the EDGE-DEFAULTS value, set explicitly below
// A web-bff request makes at most three Redis calls in a row (rate limit, cache read, cache write), each bounded.
const FAIL_OPEN_BOUND_MS = 3 * COMMAND_TIMEOUT_MS + 200;
// A public-api request makes one more: the API key lookup.
const API_BOUND_MS = 4 * COMMAND_TIMEOUT_MS + 200;

describe('Redis stopped and restarted under load (web-bff, public-api, a dedicated redis-server)', function () {
  this.timeout(90_000);
  let redis: DedicatedRedis;
  let client: Redis;
  let fleet: Fleet;
  let prefix: string;
  let apiKey: string;
  // Stored like apiKey but never presented before an outage: nothing of it is kept in the BFF.
  let unseenKey: string;
  let sign: (aud: string, sub: string) => string;
  let tokens: string[];
  const pids: Record<string, number> = {};

  const seedKey = async () => {
    await until("the test's Redis client connected", async () => (client.status === 'ready' ? true : undefined), 5000);
    const { key, record } = generateApiKey({ owner: 'c-1001', plan: 'partner', scopes: ['orders:read', 'orders:write'] });
    await new RedisApiKeyStore({ redis: client, keyPrefix: prefix }).put(record);
    apiKey = key;
    const unseen = generateApiKey({ owner: 'c-1002', plan: 'partner', scopes: ['orders:read'] });
    await new RedisApiKeyStore({ redis: client, keyPrefix: prefix }).put(unseen.record);
    unseenKey = unseen.key;
  };
  const keysMatching = async (pattern: string) => (await client.keys(`${prefix}${pattern}`)).length;

  // One phase of steady load: web-bff (fail-open routes) and public-api (a fail-closed and a fail-open route).
  const phase = async (durationMs: number) => {
    const web = fleet.url('web-bff');
    const api = fleet.url('public-api');
    let n = 0;
    const token = () => tokens[n++ % tokens.length]!;
    const [proxied, handler, closed, apiRead] = await Promise.all([
      runLoad({
        origin: web,
        connections: 8,
        durationMs,
        maxRequests: 20_000,
        next: () => ({ path: '/restaurants/r-1', headers: { authorization: `Bearer ${token()}` } }),
      }),
      runLoad({
        origin: web,
        connections: 4,
        durationMs,
        maxRequests: 20_000,
        next: () => ({ path: '/orders', headers: { authorization: `Bearer ${token()}` } }),
      }),
      runLoad({
        origin: api,
        connections: 2,
        durationMs,
        maxRequests: 20_000,
        ratePerSec: 40, // below the partner plan's quotas (600 orders, 3000 reads a minute), which also hold across phases
        next: () => ({ method: 'POST', path: '/v1/orders', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: '{"restaurantId":""}' }),
        keepBody: () => true,
      }),
      runLoad({
        origin: api,
        connections: 2,
        durationMs,
        maxRequests: 20_000,
        ratePerSec: 40, // below the partner plan's quotas (600 orders, 3000 reads a minute), which also hold across phases
        next: () => ({ path: '/v1/restaurants', headers: { 'x-api-key': apiKey } }),
        keepBody: () => true,
      }),
    ]);
    return { web: [...proxied, ...handler], closed, apiRead };
  };
  const problemTypes = (samples: Sample[]) =>
    countBy(
      samples,
      (s) => `${s.status} ${isProblem(s) ? (JSON.parse(s.body!) as { type: string }).type.replace('urn:portico:problem:', '') : 'not problem+json'}`,
    );

  before(async function () {
    this.timeout(60_000);
    redis = await startDedicatedRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    client.on('error', () => undefined); // down on purpose in this file
    prefix = uniquePrefix('redis-outage');
    await seedKey();
    sign = await localSigner();
    tokens = Array.from({ length: 6000 }, (_, i) => sign('web', `redis-outage-${i}`));
    fleet = await startFleet({
      services: [...BACKENDS, 'web-bff', 'public-api'],
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, REDIS_COMMAND_TIMEOUT: `${COMMAND_TIMEOUT_MS}ms` },
    });
    for (const name of ['web-bff', 'public-api']) pids[name] = fleet.pid(name)!;
  });
  after(async () => {
    await fleet?.stopAll();
    client?.disconnect();
    await redis?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });

  it('serves normally with Redis up: web-bff 200s, public-api 422 for a bad order body', async () => {
    const { web, closed, apiRead } = await phase(1500);
    expect(summarize(web).outcomes, describeSummary(summarize(web))).to.deep.equal({ '200': web.length });
    expect(summarize(closed).outcomes).to.deep.equal({ '422': closed.length });
    expect(summarize(apiRead).outcomes).to.deep.equal({ '200': apiRead.length });
    expect(await keysMatching('rl:*')).to.be.greaterThan(0);
  });

  for (const fault of ['hung (SIGSTOP)', 'stopped'] as const) {
    it(`Redis ${fault}: readiness fails within 2 s; web-bff keeps answering 200 within ${FAIL_OPEN_BOUND_MS} ms (3 × the ${COMMAND_TIMEOUT_MS} ms command timeout + 200 ms); public-api serves reads for the key it already checked within ${API_BOUND_MS} ms, answers order creation 503 rate-limit-unavailable with Retry-After, and a key it never saw 503 auth-unavailable`, async () => {
      const web = fleet.url('web-bff');
      if (fault === 'stopped') await redis.stop();
      else redis.pause();
      const notReadyAfter = Date.now();
      try {
        await until('web-bff /readyz failing', async () => ((await readyz(web)) === 503 ? true : undefined), 2000);
        const notReadyMs = Date.now() - notReadyAfter;
        const [{ web: served, closed, apiRead }, unseen] = await Promise.all([
          phase(2500),
          runLoad({
            origin: fleet.url('public-api'),
            connections: 1,
            durationMs: 1000,
            maxRequests: 10,
            next: () => ({ path: '/v1/restaurants', headers: { 'x-api-key': unseenKey } }),
            keepBody: () => true,
          }),
        ]);
        const webSummary = summarize(served);
        const closedTypes = problemTypes(closed);
        const readTypes = problemTypes(apiRead);
        const unseenTypes = problemTypes(unseen);
        const report = `readiness failed after ${notReadyMs} ms; web-bff ${describeSummary(webSummary)}; public-api POST /v1/orders ${JSON.stringify(closedTypes)} ${describeSummary(summarize(closed))}; GET /v1/restaurants ${JSON.stringify(readTypes)} ${describeSummary(summarize(apiRead))}; with a key never seen ${JSON.stringify(unseenTypes)}`;
        console.log(`      Redis ${fault}: ${report}`);
        expect(webSummary.outcomes, report).to.deep.equal({ '200': served.length });
        expect(served.length, report).to.be.greaterThan(100);
        expect(webSummary.max, report).to.be.at.most(FAIL_OPEN_BOUND_MS);
        // The key was checked before the outage, so public-api still knows its record: order creation gets past
        // authentication and fails closed at its quota, with Retry-After; the fail-open reads keep serving.
        expect(closed.length, report).to.be.greaterThan(10);
        expect(closedTypes, report).to.deep.equal({ '503 rate-limit-unavailable': closed.length });
        expect(
          closed.every((s) => s.headers?.['retry-after'] !== undefined),
          report,
        ).to.equal(true);
        expect(summarize(closed).max, report).to.be.at.most(API_BOUND_MS);
        expect(apiRead.length, report).to.be.greaterThan(10);
        expect(readTypes, report).to.deep.equal({ '200 not problem+json': apiRead.length });
        expect(summarize(apiRead).max, report).to.be.at.most(API_BOUND_MS);
        // A key the BFF never checked cannot be checked now: 503 with Retry-After, never let through.
        expect(unseen.length, report).to.be.greaterThan(0);
        expect(unseenTypes, report).to.deep.equal({ '503 auth-unavailable': unseen.length });
        expect(
          unseen.every((s) => s.headers?.['retry-after'] !== undefined),
          report,
        ).to.equal(true);
        expect(await readyz(web)).to.equal(503);
      } finally {
        if (fault === 'stopped') await redis.restart();
        else redis.resume();
      }
      const back = Date.now();
      await until('web-bff /readyz back to 200', async () => ((await readyz(web)) === 200 ? true : undefined), 5000);
      await until('public-api /readyz back to 200', async () => ((await readyz(fleet.url('public-api'))) === 200 ? true : undefined), 5000);
      console.log(`      Redis back: both BFFs ready again after ${Date.now() - back} ms`);
      // A restarted test server is empty (no persistence); a real one keeps its keys.
      if (fault === 'stopped') await seedKey();
    });
  }

  it('after the restart, without restarting a BFF: limits count in Redis again (120 a minute, then 429), the cache answers HIT from Redis, and public-api answers 422 again', async () => {
    expect({ web: fleet.pid('web-bff'), api: fleet.pid('public-api') }).to.deep.equal({ web: pids['web-bff'], api: pids['public-api'] });
    const web = fleet.url('web-bff');
    const hot = sign('web', `redis-outage-hot-${Date.now()}`);
    const statuses = runLoad({
      origin: web,
      connections: 1,
      durationMs: 10_000,
      maxRequests: 121,
      next: () => ({ path: '/restaurants/r-1', headers: { authorization: `Bearer ${hot}` } }),
    });
    const limited = await statuses;
    expect(limited.slice(0, 120).every((s) => s.status === 200)).to.equal(true);
    expect(limited[120]?.status).to.equal(429);
    expect(await keysMatching(`rl:*redis-outage-hot-*`)).to.equal(1);

    const cuisine = `thai-${Date.now()}`;
    const first = await probe(`${web}/restaurants?cuisine=${cuisine}`, { headers: { authorization: `Bearer ${tokens[0]}` } });
    await sleep(50); // the cache write completes after the answer
    const second = await probe(`${web}/restaurants?cuisine=${cuisine}`, { headers: { authorization: `Bearer ${tokens[1]}` } });
    expect([first.status, first.headers['x-cache'], second.status, second.headers['x-cache']]).to.deep.equal([200, 'MISS', 200, 'HIT']);
    expect(await keysMatching('cache:*')).to.be.greaterThan(0);

    const { web: served, closed } = await phase(1000);
    expect(summarize(served).outcomes).to.deep.equal({ '200': served.length });
    expect(summarize(closed).outcomes).to.deep.equal({ '422': closed.length });
  });
});
