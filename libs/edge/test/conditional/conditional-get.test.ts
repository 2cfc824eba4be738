import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cachePolicySchema, responseCache, type CacheEntry, type CacheStore } from '../../src/cache';
import { assignEtag, conditionalGet } from '../../src/conditional';
import type { EdgeState } from '../../src/state';
import { recordingLogger, storeHarnesses } from '../cache/support';

for (const harness of storeHarnesses()) {
  describe(`conditionalGet over the response cache (${harness.name})`, () => {
    let server: Server | undefined;
    let calls = 0;
    const stored: CacheEntry[] = [];

    before(() => harness.setUp());
    after(() => harness.tearDown());
    afterEach(() => server?.close());

    // conditionalGet → cache → assignEtag → terminal, as policyChain builds a route with both `etag` and `cache`.
    async function start(): Promise<string> {
      const inner = harness.newStore();
      const store: CacheStore = {
        get: (key) => inner.get(key),
        set: (key, entry, ttlMs) => {
          stored.push(entry);
          return inner.set(key, entry, ttlMs);
        },
      };
      const app = new Koa<EdgeState>();
      app.use(conditionalGet());
      app.use(responseCache(cachePolicySchema.parse({ ttl: '30s', public: true }), { store, logger: recordingLogger(), routeId: 'etag' }));
      app.use(assignEtag());
      app.use((ctx) => {
        calls += 1;
        ctx.body = { items: [{ id: 'r-1', name: 'Ajanta' }] };
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server!.once('listening', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    it('stores the ETag with the entry, and answers a revalidated hit 304 with it without calling the route', async () => {
      const base = await start();
      const miss = await fetch(`${base}/list`);
      const etag = miss.headers.get('etag');
      expect(miss.status).to.equal(200);
      expect(miss.headers.get('x-cache')).to.equal('MISS');
      expect(etag).to.match(/^W\/"/);
      expect(stored.map((entry) => entry.headers.etag)).to.deep.equal([etag]);
      const hit = await fetch(`${base}/list`, { headers: { 'if-none-match': etag! } });
      expect(hit.status).to.equal(304);
      expect(hit.headers.get('x-cache')).to.equal('HIT');
      expect(hit.headers.get('etag')).to.equal(etag);
      const plain = await fetch(`${base}/list`);
      expect(plain.headers.get('etag')).to.equal(etag);
      expect(await plain.json()).to.deep.equal({ items: [{ id: 'r-1', name: 'Ajanta' }] });
      expect(calls).to.equal(1);
    });
  });
}
