import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemMiddleware } from '../../src/errors';
import { healthRoutes, Readiness } from '../../src/health';
import type { EdgeLogger, EdgeState } from '../../src/state';

describe('healthRoutes (/livez, /readyz)', () => {
  let server: Server;
  let base: string;
  let redisUp = true;
  let readiness: Readiness;
  let terminalHits = 0;
  // What the middleware left on ctx once next() resolved, per request path.
  const afterNext: Array<{ path: string; status: number; body: unknown }> = [];
  const warnings: string[] = [];

  before(async () => {
    const app = new Koa<EdgeState>();
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-h';
      await next();
    });
    app.use(problemMiddleware({ logger: { warn: (obj: object, msg?: string) => warnings.push(msg ?? ''), error: () => undefined } as unknown as EdgeLogger }));
    app.use(async (ctx, next) => {
      await next();
      afterNext.push({ path: ctx.path, status: ctx.status, body: ctx.body });
    });
    app.use((ctx, next) => healthRoutes({ readiness })(ctx, next));
    app.use((ctx) => {
      terminalHits += 1;
      ctx.body = { reached: ctx.path };
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  beforeEach(() => {
    redisUp = true;
    terminalHits = 0;
    afterNext.length = 0;
    warnings.length = 0;
    readiness = new Readiness({ checkTimeoutMs: 100 });
    readiness.register('config', () => true);
    readiness.register('redis', async () => redisUp);
    readiness.setInfo('routingMapVersion', 'v42');
  });

  it('GET /livez answers 200 {status: ok} with no-store, without reaching the routes', async () => {
    const res = await fetch(`${base}/livez`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(await res.json()).to.deep.equal({ status: 'ok' });
    expect(terminalHits).to.equal(0);
    expect(afterNext).to.deep.equal([{ path: '/livez', status: 200, body: { status: 'ok' } }]);
  });

  it('GET /livez stays 200 while a readiness check fails and while draining', async () => {
    redisUp = false;
    expect((await fetch(`${base}/livez`)).status).to.equal(200);
    readiness.startDraining();
    expect((await fetch(`${base}/livez`)).status).to.equal(200);
  });

  it('GET /readyz answers 200 with every check and the info values', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(await res.json()).to.deep.equal({ status: 'ready', checks: { config: true, redis: true }, info: { routingMapVersion: 'v42' } });
    expect(terminalHits).to.equal(0);
  });

  it('GET /readyz answers 503 NOT_READY problem+json naming the failing check', async () => {
    redisUp = false;
    const res = await fetch(`${base}/readyz`);
    expect(res.status).to.equal(503);
    expect(res.headers.get('content-type')).to.equal('application/problem+json');
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(await res.json()).to.deep.equal({
      type: 'urn:portico:problem:not-ready',
      title: 'Service not ready',
      status: 503,
      detail: 'failing readiness checks: redis',
      failing: ['redis'],
      checks: { config: true, redis: false },
      info: { routingMapVersion: 'v42' },
      requestId: 'req-h',
    });
    expect(terminalHits).to.equal(0);
  });

  it('GET /readyz answers 503 DRAINING once draining, even with every check passing', async () => {
    readiness.startDraining();
    const res = await fetch(`${base}/readyz`);
    expect(res.status).to.equal(503);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).to.include({ type: 'urn:portico:problem:draining', status: 503, title: 'Service shutting down' });
    expect(body.failing).to.deep.equal([]);
    expect(body.checks).to.deep.equal({ config: true, redis: true });
  });

  it('logs no failed request for a 503 while not ready or draining: probes repeat, the state changes are logged once', async () => {
    redisUp = false;
    expect((await fetch(`${base}/readyz`)).status).to.equal(503);
    readiness.startDraining();
    expect((await fetch(`${base}/readyz`)).status).to.equal(503);
    expect(warnings).to.deep.equal([]);
  });

  it('HEAD answers the same statuses without a body', async () => {
    const live = await fetch(`${base}/livez`, { method: 'HEAD' });
    expect(live.status).to.equal(200);
    expect(await live.text()).to.equal('');
    redisUp = false;
    const ready = await fetch(`${base}/readyz`, { method: 'HEAD' });
    expect(ready.status).to.equal(503);
    expect(await ready.text()).to.equal('');
  });

  it('passes other paths and other methods on to the next middleware', async () => {
    const other = await fetch(`${base}/orders/1`);
    expect(await other.json()).to.deep.equal({ reached: '/orders/1' });
    const post = await fetch(`${base}/readyz`, { method: 'POST' });
    expect(await post.json()).to.deep.equal({ reached: '/readyz' });
    const nested = await fetch(`${base}/livez/extra`);
    expect(await nested.json()).to.deep.equal({ reached: '/livez/extra' });
    expect(terminalHits).to.equal(3);
    expect(afterNext.map((a) => a.status)).to.deep.equal([200, 200, 200]);
  });
});
