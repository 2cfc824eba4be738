import { expect } from 'chai';
import { createUpstreams, resolvePolicy } from '../../src/clients/upstreams';
import { UPSTREAM_DEFAULTS } from '../../src/clients/service-client';
import { memoryLogger, startUpstream, type ScriptedUpstream } from './scripted-upstream';

describe('createUpstreams', () => {
  let up: ScriptedUpstream;
  before(async () => {
    up = await startUpstream();
  });
  after(() => up.close());

  it('finds an upstream by name and by origin, and reports breaker states', async () => {
    const upstreams = createUpstreams({ order: { url: `${up.url}/v1` }, delivery: { url: 'http://127.0.0.1:9/' } }, { logger: memoryLogger() });
    try {
      expect(upstreams.get('order').name).to.equal('order');
      expect(upstreams.get('order').origin).to.equal(up.url);
      expect(upstreams.byOrigin(`${up.url}/orders/1`).name).to.equal('order');
      expect(upstreams.names()).to.deep.equal(['order', 'delivery']);
      expect(upstreams.states()).to.deep.equal({ order: 'closed', delivery: 'closed' });
      expect(() => upstreams.get('kitchen')).to.throw('unknown upstream "kitchen"');
      expect(() => upstreams.byOrigin('http://127.0.0.1:1')).to.throw('no upstream is defined for this origin');
    } finally {
      await upstreams.close();
    }
  });

  it('closes every pool, after which calls fail with a mapped 503', async () => {
    const upstreams = createUpstreams({ order: { url: up.url } }, { logger: memoryLogger() });
    await upstreams.close();
    const err = await upstreams
      .get('order')
      .dispatch({ method: 'GET', path: '/', headers: {}, deadline: Date.now() + 1000, retries: 0, operation: 'x' })
      .then(
        () => undefined,
        (e: { status?: number }) => e,
      );
    expect(err?.status).to.equal(503);
  });

  it('refuses two names for one origin, non-http URLs and more than 2 retries at start-up', () => {
    const logger = memoryLogger();
    expect(() => createUpstreams({ a: { url: up.url }, b: { url: `${up.url}/x` } }, { logger })).to.throw('share one origin');
    expect(() => createUpstreams({ a: { url: 'ftp://x' } }, { logger })).to.throw('expected an http(s) URL');
    expect(() => resolvePolicy('a', { retry: { maxRetries: 3 } })).to.throw('at most 2 retries');
    expect(() => resolvePolicy('a', { breaker: { failureRatio: 0 } })).to.throw('failureRatio');
  });

  it('fills unset policy values from UPSTREAM_DEFAULTS and keeps overrides', () => {
    const policy = resolvePolicy('a', { headersTimeoutMs: 800, breaker: { openMs: 1000 } });
    expect(policy.headersTimeoutMs).to.equal(800);
    expect(policy.connectTimeoutMs).to.equal(UPSTREAM_DEFAULTS.connectTimeoutMs);
    expect(policy.breaker).to.deep.equal({ ...UPSTREAM_DEFAULTS.breaker, openMs: 1000 });
    expect(policy.retry).to.deep.equal(UPSTREAM_DEFAULTS.retry);
  });
});
