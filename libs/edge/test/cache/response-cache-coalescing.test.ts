import { expect } from 'chai';
import { cachePolicySchema, responseCache, type CacheStore } from '../../src/cache';
import { STREAM_BODY, fixtureTerminal, recordingLogger, request, startApp, storeHarnesses, type TestApp } from './support';

for (const harness of storeHarnesses()) {
  describe(`responseCache coalescing of concurrent misses (${harness.name})`, () => {
    let store: CacheStore;
    let app: TestApp | undefined;

    before(() => harness.setUp());
    after(() => harness.tearDown());
    beforeEach(() => (store = harness.newStore()));
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    async function start(policy: Record<string, unknown>): Promise<TestApp> {
      app = await startApp(responseCache(cachePolicySchema.parse(policy), { store, logger: recordingLogger(), routeId: 'coalescing' }), fixtureTerminal());
      return app;
    }

    it('answers 20 concurrent identical misses with exactly one call to the route', async () => {
      const { base, calls, observed } = await start({ ttl: '30s' });
      const answers = await Promise.all(Array.from({ length: 20 }, () => request(base, '/slow?id=7')));
      expect(calls.get('/slow')).to.equal(1);
      const first = answers[0]!;
      for (const res of answers) {
        expect(res.status).to.equal(200);
        expect(res.body.equals(first.body)).to.equal(true);
        expect(res.headers.get('etag')).to.equal('"v1"');
      }
      const xCache = answers.map((res) => res.headers.get('x-cache'));
      expect(xCache.filter((v) => v === 'MISS')).to.have.length(1);
      expect(xCache.filter((v) => v === 'HIT')).to.have.length(19);
      expect(observed.filter((o) => o.cache === 'HIT')).to.have.length(19);
      // Each follower keeps its own request id.
      expect(new Set(answers.map((res) => res.headers.get('x-request-id'))).size).to.equal(20);
    });

    it('coalesces concurrent misses of a streamed body and hands every client the whole body', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const answers = await Promise.all(Array.from({ length: 10 }, () => request(base, '/slow-stream')));
      expect(calls.get('/slow-stream')).to.equal(1);
      for (const res of answers) expect(res.body.equals(STREAM_BODY)).to.equal(true);
    });

    it('does not coalesce different principals on a private route', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const users = ['alice', 'bob', 'alice', 'bob'];
      const answers = await Promise.all(users.map((user) => request(base, '/slow', { headers: { 'x-test-user': user } })));
      expect(calls.get('/slow')).to.equal(2);
      expect(answers.map((res) => res.json().user)).to.deep.equal(users);
    });

    it('lets followers run the route themselves when the leader’s answer is not cacheable', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const answers = await Promise.all(Array.from({ length: 5 }, () => request(base, '/slow-no-store')));
      expect(calls.get('/slow-no-store')).to.equal(5);
      expect(new Set(answers.map((res) => res.json().n)).size).to.equal(5);
      for (const res of answers) expect(res.headers.get('x-cache')).to.equal('MISS');
    });

    it('lets followers run the route themselves when the leader fails', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const answers = await Promise.all(Array.from({ length: 4 }, () => request(base, '/fail-first')));
      expect(answers.map((res) => res.status).sort()).to.deep.equal([200, 200, 200, 504]);
      expect(calls.get('/fail-first')).to.equal(4);
      expect((await request(base, '/fail-first')).headers.get('x-cache')).to.equal('HIT');
    });
  });
}
