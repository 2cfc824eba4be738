import { expect } from 'chai';
import { cachePolicySchema, responseCache, type CacheStore } from '../../src/cache';
import { BIG_BODY, STREAM_BODY, fixtureTerminal, recordingLogger, request, startApp, storeHarnesses, type TestApp } from './support';

for (const harness of storeHarnesses()) {
  describe(`responseCache with streamed bodies (${harness.name})`, () => {
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
      app = await startApp(responseCache(cachePolicySchema.parse(policy), { store, logger: recordingLogger(), routeId: 'streams' }), fixtureTerminal());
      return app;
    }

    it('stores a streamed body and replays it byte-identical', async () => {
      const { base, calls, observed } = await start({ ttl: '30s' });
      const miss = await request(base, '/stream');
      const hit = await request(base, '/stream');
      expect(miss.body.equals(STREAM_BODY)).to.equal(true);
      expect(hit.headers.get('x-cache')).to.equal('HIT');
      expect(hit.body.equals(STREAM_BODY)).to.equal(true);
      expect(hit.headers.get('content-length')).to.equal(String(STREAM_BODY.length));
      expect(hit.headers.get('content-type')).to.equal('application/octet-stream');
      expect(calls.get('/stream')).to.equal(1);
      expect(observed.map((o) => o.cache)).to.deep.equal(['MISS', 'HIT']);
    });

    it('delivers a stream over maxBodySize complete, keeps its Content-Length, and does not store it', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const first = await request(base, '/big-stream');
      const second = await request(base, '/big-stream');
      for (const res of [first, second]) {
        expect(res.status).to.equal(200);
        expect(res.headers.get('x-cache')).to.equal('MISS');
        expect(res.headers.get('content-length')).to.equal(String(BIG_BODY.length));
        expect(res.body.length).to.equal(BIG_BODY.length);
        expect(res.body.equals(BIG_BODY)).to.equal(true);
      }
      expect(calls.get('/big-stream')).to.equal(2);
    });

    it('answers 502 without internals when the stream fails while being read, and stores nothing', async () => {
      const { base, calls } = await start({ ttl: '30s' });
      const failed = await request(base, '/broken-stream');
      expect(failed.status).to.equal(502);
      expect(failed.headers.get('content-type')).to.equal('application/problem+json');
      const problem = failed.json();
      expect(problem.type).to.equal('urn:portico:problem:upstream-bad-response');
      expect(failed.body.toString()).not.to.match(/10\.0\.0\.7|hang up/);
      expect((await request(base, '/broken-stream')).status).to.equal(502);
      expect(calls.get('/broken-stream')).to.equal(2);
    });
  });
}
