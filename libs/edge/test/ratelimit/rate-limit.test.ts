import { expect } from 'chai';
import type { Server } from 'node:http';
import { createRedisClient, type RedisClient } from '../../src/redis';
import { MemoryRateLimitStore, rateLimitPolicySchema, RedisRateLimitStore, type RateLimitStore } from '../../src/ratelimit';
import { recordingLogger } from '../redis/recording-logger';
import { deleteKeys, requireRedis, SHARED_REDIS_URL, testPrefix } from '../redis/redis-server';
import { listen, rateLimitApp } from './rate-limit-app';

const policy = (input: object) => rateLimitPolicySchema.parse(input);
const stores: Array<[string, () => Promise<{ store: RateLimitStore; close(): Promise<void> }>]> = [
  [
    'Redis store',
    async () => {
      await requireRedis();
      const prefix = `${testPrefix()}rl:`;
      const client: RedisClient = createRedisClient({ url: SHARED_REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 500 }, recordingLogger());
      await new Promise((resolve) => client.once('ready', resolve));
      return {
        store: new RedisRateLimitStore(client, { prefix, timeoutMs: 500 }),
        close: async () => {
          await deleteKeys(SHARED_REDIS_URL, prefix);
          client.disconnect();
        },
      };
    },
  ],
  ['in-process store', async () => ({ store: new MemoryRateLimitStore(), close: async () => {} })],
];

for (const [label, open] of stores) {
  describe(`rateLimit middleware (${label})`, () => {
    let server: Server;
    let base: string;
    let close: () => Promise<void>;
    before(async () => {
      const opened = await open();
      close = opened.close;
      const deps = { store: opened.store, fallback: new MemoryRateLimitStore(), logger: recordingLogger(), expectedReplicas: 2, serviceName: 'test-bff' };
      const app = rateLimitApp(
        [
          { id: 'list-things', path: '/things', policy: policy({ limit: 3, per: '60s' }) },
          { id: 'other-things', path: '/other', policy: policy({ limit: 3, per: '60s' }) },
          { id: 'by-client', path: '/by-client', policy: policy({ limit: 2, per: '60s', key: 'client' }) },
          { id: 'shared', path: '/shared', policy: policy({ limit: 2, per: '60s', key: 'global', name: 'shared-quota' }) },
          { id: 'planned', path: '/planned', policy: policy({ limit: 2, per: '60s', plans: { gold: { limit: 5, per: '120s' } } }) },
        ],
        deps,
      );
      ({ server, base } = await listen(app));
    });
    after(async () => {
      server.close();
      await close();
    });

    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
    const statuses = async (n: number, path: string, headers: Record<string, string> = {}) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await get(path, headers)).status);
      return out;
    };

    it('sends RateLimit-Policy and RateLimit on every admitted response and sets ctx.state.rateLimit', async () => {
      const headers = { 'x-test-client': '10.0.0.1' };
      const first = await get('/things', headers);
      expect(first.status).to.equal(200);
      expect(await first.json()).to.deep.equal({ route: '/things' });
      expect(first.headers.get('ratelimit-policy')).to.equal('"list-things";q=3;w=60');
      expect(first.headers.get('ratelimit')).to.match(/^"list-things";r=2;t=([1-9]|[1-5]\d|60)$/);
      expect(JSON.parse(first.headers.get('x-after') ?? 'null')).to.deep.equal({ policy: 'list-things', allowed: true, remaining: 2 });
      const second = await get('/things', headers);
      expect(second.headers.get('ratelimit')).to.match(/^"list-things";r=1;t=\d+$/);
    });

    it('answers 429 problem+json with Retry-After and the RateLimit headers once the limit is used up', async () => {
      const headers = { 'x-test-client': '10.0.0.2' };
      expect(await statuses(3, '/things', headers)).to.deep.equal([200, 200, 200]);
      const res = await get('/things', headers);
      expect(res.status).to.equal(429);
      expect(res.headers.get('content-type')).to.equal('application/problem+json');
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).to.be.within(1, 80); // rest of this window + 1/3 of the next
      expect(res.headers.get('ratelimit-policy')).to.equal('"list-things";q=3;w=60');
      expect(res.headers.get('ratelimit')).to.equal(`"list-things";r=0;t=${retryAfter}`);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ type: 'urn:portico:problem:rate-limited', title: 'Too many requests', status: 429, requestId: 'req-test' });
      expect(body.detail).to.match(/"list-things" of 3 requests per 60 s exceeded/);
      expect(JSON.stringify(body)).to.not.match(/redis|test-bff|10\.0\.0\.2|rl:|ip:/i);
    });

    it('counts each route separately for the same caller', async () => {
      const headers = { 'x-test-client': '10.0.0.3' };
      expect(await statuses(4, '/things', headers)).to.deep.equal([200, 200, 200, 429]);
      expect(await statuses(4, '/other', headers)).to.deep.equal([200, 200, 200, 429]);
    });

    it('counts each client address separately', async () => {
      expect(await statuses(4, '/things', { 'x-test-client': '10.0.1.1' })).to.deep.equal([200, 200, 200, 429]);
      expect(await statuses(1, '/things', { 'x-test-client': '10.0.1.2' })).to.deep.equal([200]);
    });

    it('keys a verified principal by issuer and subject, whatever address it comes from', async () => {
      const alice = { 'x-test-subject': 'alice' };
      expect(await statuses(2, '/things', { ...alice, 'x-test-client': '10.0.2.1' })).to.deep.equal([200, 200]);
      expect(await statuses(2, '/things', { ...alice, 'x-test-client': '10.0.2.2' })).to.deep.equal([200, 429]);
      expect(await statuses(1, '/things', { ...alice, 'x-test-issuer': 'https://other-issuer.example' })).to.deep.equal([200]);
      expect(await statuses(1, '/things', { 'x-test-subject': 'bob', 'x-test-client': '10.0.2.1' })).to.deep.equal([200]);
    });

    it('keys an API key principal by its key id', async () => {
      const key1 = { 'x-test-subject': 'acme', 'x-test-kind': 'api-key', 'x-test-client-id': 'key-1' };
      const key2 = { 'x-test-subject': 'acme', 'x-test-kind': 'api-key', 'x-test-client-id': 'key-2' };
      expect(await statuses(4, '/things', key1)).to.deep.equal([200, 200, 200, 429]);
      expect(await statuses(1, '/things', key2)).to.deep.equal([200]);
    });

    it('with key: client, ignores the principal and counts the address', async () => {
      expect(await statuses(1, '/by-client', { 'x-test-client': '10.0.3.1', 'x-test-subject': 'carol' })).to.deep.equal([200]);
      expect(await statuses(2, '/by-client', { 'x-test-client': '10.0.3.1', 'x-test-subject': 'dave' })).to.deep.equal([200, 429]);
    });

    it('with key: global, shares one count among all callers under the policy name', async () => {
      expect(await statuses(1, '/shared', { 'x-test-client': '10.0.4.1' })).to.deep.equal([200]);
      const res = await get('/shared', { 'x-test-client': '10.0.4.2' });
      expect(res.headers.get('ratelimit-policy')).to.equal('"shared-quota";q=2;w=60');
      expect((await get('/shared', { 'x-test-client': '10.0.4.3' })).status).to.equal(429);
    });

    it('applies the principal’s plan limit, and the default limit for an unknown plan', async () => {
      const gold = await get('/planned', { 'x-test-subject': 'erin', 'x-test-plan': 'gold' });
      expect(gold.headers.get('ratelimit-policy')).to.equal('"planned";q=5;w=120');
      expect(await statuses(5, '/planned', { 'x-test-subject': 'erin', 'x-test-plan': 'gold' })).to.deep.equal([200, 200, 200, 200, 429]);
      const unknown = await get('/planned', { 'x-test-subject': 'frank', 'x-test-plan': 'platinum' });
      expect(unknown.headers.get('ratelimit-policy')).to.equal('"planned";q=2;w=60');
      expect(await statuses(2, '/planned', { 'x-test-subject': 'frank', 'x-test-plan': 'platinum' })).to.deep.equal([200, 429]);
    });
  });
}

describe('globalRateLimit middleware', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const deps = { store: new MemoryRateLimitStore(), fallback: new MemoryRateLimitStore(), logger: recordingLogger(), expectedReplicas: 1, serviceName: 'test-bff' };
    const app = rateLimitApp(
      [
        { id: 'route-a', path: '/a', policy: policy({ limit: 10, per: '60s' }) },
        { id: 'route-b', path: '/b', policy: policy({ limit: 10, per: '60s' }) },
      ],
      deps,
      { global: policy({ limit: 4, per: '60s' }) },
    );
    ({ server, base } = await listen(app));
  });
  after(() => server.close());

  it('shares one service-wide count across routes and callers, listing both policies in the headers', async () => {
    const first = await fetch(`${base}/a`, { headers: { 'x-test-client': '10.9.0.1' } });
    expect(first.headers.get('ratelimit-policy')).to.equal('"global";q=4;w=60, "route-a";q=10;w=60');
    expect(first.headers.get('ratelimit')).to.match(/^"global";r=3;t=\d+, "route-a";r=9;t=\d+$/);
    // The most restrictive decision is what metrics and the access log see.
    expect(JSON.parse(first.headers.get('x-after') ?? 'null')).to.deep.equal({ policy: 'global', allowed: true, remaining: 3 });
    const rest: number[] = [];
    for (const [path, client] of [['/b', '10.9.0.2'], ['/a', '10.9.0.3'], ['/b', '10.9.0.4'], ['/a', '10.9.0.5']] as const) {
      rest.push((await fetch(`${base}${path}`, { headers: { 'x-test-client': client } })).status);
    }
    expect(rest).to.deep.equal([200, 200, 200, 429]);
  });
});
