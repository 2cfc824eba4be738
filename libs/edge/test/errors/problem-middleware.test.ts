import { expect } from 'chai';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { EdgeError, problemBody, problemMiddleware } from '../../src/errors';
import type { EdgeState } from '../../src/state';

describe('problemMiddleware', () => {
  let server: Server;
  let base: string;
  const logged: Array<{ obj: object; msg?: string }> = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (obj: object, msg?: string) => logged.push({ obj, msg }),
    error: (obj: object, msg?: string) => logged.push({ obj, msg }),
    child() {
      return logger;
    },
  };

  before(async () => {
    const app = new Koa<EdgeState>();
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-1';
      await next();
    });
    app.use(problemMiddleware({ logger }));
    app.use(async (ctx) => {
      ctx.set('X-Upstream-Secret', 'internal-host:9000');
      ctx.set('RateLimit', '"r";r=0;t=5');
      if (ctx.path === '/timeout') throw new EdgeError('UPSTREAM_TIMEOUT', { detail: 'order service: no answer within 800 ms' });
      if (ctx.path === '/circuit') throw new EdgeError('CIRCUIT_OPEN', { headers: { 'Retry-After': '30' } });
      if (ctx.path === '/boom') throw new Error('connect ECONNREFUSED 10.0.0.7:5432');
      if (ctx.path === '/koa-413') ctx.throw(413, 'request entity too large');
      if (ctx.path === '/ok') ctx.body = { ok: true };
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  beforeEach(() => (logged.length = 0));

  it('answers an EdgeError with its status, problem type and detail', async () => {
    const res = await fetch(`${base}/timeout`);
    expect(res.status).to.equal(504);
    expect(res.headers.get('content-type')).to.equal('application/problem+json');
    expect(await res.json()).to.deep.equal({
      type: 'urn:portico:problem:upstream-timeout',
      title: 'Upstream timed out',
      status: 504,
      detail: 'order service: no answer within 800 ms',
      requestId: 'req-1',
    });
    expect(logged).to.have.length(1);
  });

  it('keeps rate-limit headers, adds the error’s own, drops everything else set before the failure', async () => {
    const res = await fetch(`${base}/circuit`);
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('30');
    expect(res.headers.get('ratelimit')).to.equal('"r";r=0;t=5');
    expect(res.headers.get('x-upstream-secret')).to.equal(null);
  });

  it('turns an unknown error into a generic 500 that leaks nothing, and logs it with its stack', async () => {
    const res = await fetch(`${base}/boom`);
    const text = await res.text();
    expect(res.status).to.equal(500);
    expect(text).not.to.match(/ECONNREFUSED|10\.0\.0\.7|at /);
    expect(JSON.parse(text)).to.include({ type: 'urn:portico:problem:internal', status: 500 });
    expect(logged[0]?.msg).to.equal('unhandled error');
    expect((logged[0]?.obj as { err: Error }).err.stack).to.be.a('string');
  });

  it('maps an exposed Koa client error to its catalogue entry', async () => {
    const res = await fetch(`${base}/koa-413`);
    expect(res.status).to.equal(413);
    expect(await res.json()).to.include({ type: 'urn:portico:problem:payload-too-large', detail: 'request entity too large' });
  });

  it('answers an unmatched path 404 problem+json and leaves successes alone', async () => {
    const miss = await fetch(`${base}/nothing-here`);
    expect(miss.status).to.equal(404);
    expect(await miss.json()).to.include({ type: 'urn:portico:problem:not-found', status: 404 });
    const ok = await fetch(`${base}/ok`);
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.equal({ ok: true });
  });

  it('puts the RFC 9457 members first, then extensions, then the request id; an extension replaces none of them', () => {
    const err = new EdgeError('VALIDATION_FAILED', { detail: 'lineItems: too many', extensions: { errors: [{ field: 'lineItems' }], status: 200, title: 'ok' } });
    const body = problemBody(err, 'req-1');
    expect(Object.keys(body)).to.deep.equal(['type', 'title', 'status', 'detail', 'errors', 'requestId']);
    expect(body).to.include({ status: 422, title: 'Request body failed validation', requestId: 'req-1' });
  });
});
