import { expect } from 'chai';
import { cachePolicySchema, responseCache, type CacheStore } from '../../src/cache';
import { fixtureTerminal, recordingLogger, recordingStore, request, sleep, stableHeaders, startApp, storeHarnesses, type TestApp } from './support';

for (const harness of storeHarnesses()) {
  describe(`responseCache (${harness.name})`, () => {
    let store: CacheStore;
    let app: TestApp | undefined;

    before(() => harness.setUp());
    after(() => harness.tearDown());
    beforeEach(() => (store = harness.newStore()));
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    async function start(policy: Record<string, unknown>, cacheStore: CacheStore = store): Promise<TestApp> {
      const middleware = responseCache(cachePolicySchema.parse(policy), { store: cacheStore, logger: recordingLogger(), routeId: 'test-route' });
      app = await startApp(middleware, fixtureTerminal());
      return app;
    }

    it('answers a MISS from the route, then a HIT with the same status, headers and body without calling it', async () => {
      const { base, calls, observed } = await start({ ttl: '30s' });
      const miss = await request(base, '/items?id=1');
      const hit = await request(base, '/items?id=1');
      expect(miss.headers.get('x-cache')).to.equal('MISS');
      expect(hit.headers.get('x-cache')).to.equal('HIT');
      expect(hit.headers.get('age')).to.equal('0');
      expect(hit.status).to.equal(200);
      expect(hit.body.equals(miss.body)).to.equal(true);
      expect(stableHeaders(hit.headers)).to.deep.equal(stableHeaders(miss.headers));
      expect(hit.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(hit.headers.get('etag')).to.equal('"v1"');
      expect(calls.get('/items')).to.equal(1);
      // Per-request headers set around the cache are the current request's own, never replayed.
      expect(hit.headers.get('x-request-id')).to.equal('req-2');
      expect(hit.headers.get('ratelimit')).to.equal('"r";r=98;t=60');
      // What the outer middleware sees after `await next()` resolves.
      expect(observed.map((o) => [o.cache, o.xCache, o.status])).to.deep.equal([
        ['MISS', 'MISS', 200],
        ['HIT', 'HIT', 200],
      ]);
    });

    it('caches string bodies byte for byte', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const miss = await request(base, '/text');
      const hit = await request(base, '/text');
      expect(hit.headers.get('x-cache')).to.equal('HIT');
      expect(hit.body.toString()).to.equal('plain answer 1');
      expect(hit.headers.get('content-type')).to.equal(miss.headers.get('content-type'));
      expect(calls.get('/text')).to.equal(1);
    });

    it('expires an entry after its ttl', async () => {
      const { base, calls } = await start({ ttl: '200ms' });
      await request(base, '/items');
      expect((await request(base, '/items')).headers.get('x-cache')).to.equal('HIT');
      await sleep(300);
      const after = await request(base, '/items');
      expect(after.headers.get('x-cache')).to.equal('MISS');
      expect(after.json().n).to.equal(2);
      expect(calls.get('/items')).to.equal(2);
    });

    it('keys on the query sorted by name, so parameter order does not matter', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      await request(base, '/items?b=2&a=1');
      expect((await request(base, '/items?a=1&b=2')).headers.get('x-cache')).to.equal('HIT');
      expect((await request(base, '/items?a=1&b=3')).headers.get('x-cache')).to.equal('MISS');
      expect(calls.get('/items')).to.equal(2);
    });

    it('keys only on allow-listed query parameters and strips the others before the route runs', async () => {
      const { base, calls, seen } = await start({ ttl: '30s', query: ['page', 'size'] });
      const miss = await request(base, '/items?utm_source=mail&size=10&page=1');
      expect(miss.json().query).to.equal('page=1&size=10');
      expect(seen[0]?.querystring).to.equal('page=1&size=10');
      expect((await request(base, '/items?page=1&size=10&utm_source=ad')).headers.get('x-cache')).to.equal('HIT');
      expect((await request(base, '/items?page=2&size=10')).headers.get('x-cache')).to.equal('MISS');
      expect(calls.get('/items')).to.equal(2);
    });

    it('keys on the route’s vary headers', async () => {
      const { base, calls } = await start({ ttl: '30s', vary: ['Accept-Language'] });
      await request(base, '/items', { headers: { 'accept-language': 'en' } });
      const en = await request(base, '/items', { headers: { 'accept-language': 'en' } });
      const fr = await request(base, '/items', { headers: { 'accept-language': 'fr' } });
      expect(en.headers.get('x-cache')).to.equal('HIT');
      expect(fr.headers.get('x-cache')).to.equal('MISS');
      expect(fr.json().lang).to.equal('fr');
      expect(calls.get('/items')).to.equal(2);
    });

    it('strips unkeyed client headers (Accept-Encoding, conditionals, X-Forwarded-Host) before the route runs', async () => {
      const { base, seen } = await start({ ttl: '30s' });
      await request(base, '/items', {
        headers: { 'accept-encoding': 'gzip', 'if-none-match': '"v0"', 'x-forwarded-host': 'evil.test', 'accept-language': 'de' },
      });
      const headers = seen[0]?.headers ?? {};
      expect(headers).not.to.have.any.keys('accept-encoding', 'if-none-match', 'x-forwarded-host');
      expect(headers['accept-language']).to.equal('de');
    });

    it('keeps a stripped header the route varies on', async () => {
      const { base, seen } = await start({ ttl: '30s', vary: ['accept-encoding'] });
      await request(base, '/items', { headers: { 'accept-encoding': 'gzip' } });
      expect(seen[0]?.headers['accept-encoding']).to.equal('gzip');
    });

    it('never serves one principal’s response to another on a private route', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const alice = await request(base, '/items', { headers: { 'x-test-user': 'alice' } });
      const aliceAgain = await request(base, '/items', { headers: { 'x-test-user': 'alice' } });
      const bob = await request(base, '/items', { headers: { 'x-test-user': 'bob' } });
      const anonymous = await request(base, '/items');
      expect(alice.json().user).to.equal('alice');
      expect(aliceAgain.headers.get('x-cache')).to.equal('HIT');
      expect(bob.headers.get('x-cache')).to.equal('MISS');
      expect(bob.json().user).to.equal('bob');
      expect(anonymous.headers.get('x-cache')).to.equal('MISS');
      expect(anonymous.json().user).to.equal(null);
      expect(calls.get('/items')).to.equal(3);
    });

    it('shares one entry across principals on a public route', async () => {
      const { base, calls } = await start({ ttl: '30s', public: true });
      const alice = await request(base, '/items', { headers: { 'x-test-user': 'alice' } });
      const bob = await request(base, '/items', { headers: { 'x-test-user': 'bob' } });
      expect(bob.headers.get('x-cache')).to.equal('HIT');
      expect(bob.body.equals(alice.body)).to.equal(true);
      expect(calls.get('/items')).to.equal(1);
    });

    it('bypasses the cache for credentials no principal was verified from', async () => {
      const { base, calls, observed } = await start({ ttl: '30s' });
      const credentials: Array<Record<string, string>> = [{ authorization: 'Bearer forged' }, { authorization: 'Bearer forged' }, { cookie: 'sid=1' }];
      for (const headers of credentials) {
        const res = await request(base, '/items', { headers });
        expect(res.status).to.equal(200);
        expect(res.headers.get('x-cache')).to.equal(null);
      }
      expect(calls.get('/items')).to.equal(3);
      expect(observed.map((o) => o.cache)).to.deep.equal(['BYPASS', 'BYPASS', 'BYPASS']);
    });

    for (const path of [
      '/no-store',
      '/private',
      '/no-cache',
      '/max-age-0',
      '/cookie',
      '/vary-star',
      '/vary-upstream',
      '/gzip',
      '/partial',
      '/partial-header',
    ]) {
      it(`does not store ${path.slice(1)} responses`, async () => {
        const { base, calls, observed } = await start({ ttl: '30s' });
        const first = await request(base, path);
        const second = await request(base, path);
        expect(first.status).to.equal(200);
        expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).to.deep.equal(['MISS', 'MISS']);
        expect(calls.get(path)).to.equal(2);
        expect(observed.map((o) => o.cache)).to.deep.equal(['MISS', 'MISS']);
      });
    }

    it('does not store errors: neither a non-200 answer nor a failure', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      expect((await request(base, '/missing')).status).to.equal(404);
      expect((await request(base, '/missing')).headers.get('x-cache')).to.equal('MISS');
      const failed = await request(base, '/fail-first');
      expect(failed.status).to.equal(504);
      expect(failed.headers.get('content-type')).to.equal('application/problem+json');
      expect(failed.headers.get('x-cache')).to.equal(null);
      expect((await request(base, '/fail-first')).headers.get('x-cache')).to.equal('MISS');
      expect((await request(base, '/fail-first')).headers.get('x-cache')).to.equal('HIT');
      expect(calls.get('/missing')).to.equal(2);
      expect(calls.get('/fail-first')).to.equal(2);
    });

    it('stores for the shorter of the route ttl and the upstream max-age minus Age, and continues the upstream Age', async () => {
      const recording = recordingStore(store);
      const { base } = await start({ ttl: '30s' }, recording);
      await request(base, '/max-age');
      await request(base, '/items');
      expect(recording.sets.map((s) => s.ttlMs)).to.deep.equal([3000, 30_000]);
      const hit = await request(base, '/max-age');
      expect(hit.headers.get('x-cache')).to.equal('HIT');
      expect(Number(hit.headers.get('age'))).to.be.within(2, 3);
      expect(hit.headers.get('cache-control')).to.equal('public, max-age=5');
    });

    it('answers HEAD from the GET entry, and a HEAD miss stores nothing', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const head = await request(base, '/items', { method: 'HEAD' });
      expect(head.headers.get('x-cache')).to.equal('MISS');
      const get = await request(base, '/items');
      expect(get.headers.get('x-cache')).to.equal('MISS');
      const headHit = await request(base, '/items', { method: 'HEAD' });
      expect(headHit.headers.get('x-cache')).to.equal('HIT');
      expect(headHit.body.length).to.equal(0);
      expect(headHit.headers.get('content-length')).to.equal(String(get.body.length));
      expect(headHit.headers.get('etag')).to.equal(get.headers.get('etag'));
      expect(calls.get('/items')).to.equal(2);
    });

    it('passes other methods through untouched with ctx.state.cache BYPASS', async () => {
      const { base, calls, observed } = await start({ ttl: '30s' });
      await request(base, '/items', { method: 'POST' });
      const again = await request(base, '/items', { method: 'POST' });
      expect(again.headers.get('x-cache')).to.equal(null);
      expect(calls.get('/items')).to.equal(2);
      expect(observed.map((o) => o.cache)).to.deep.equal(['BYPASS', 'BYPASS']);
    });

    it('delivers a body over maxBodySize whole and does not store it', async () => {
      const { base, calls } = await start({ ttl: '30s', maxBodySize: 10 });
      const first = await request(base, '/text');
      const second = await request(base, '/text');
      expect(first.body.toString()).to.equal('plain answer 1');
      expect(second.headers.get('x-cache')).to.equal('MISS');
      expect(calls.get('/text')).to.equal(2);
    });
  });
}
