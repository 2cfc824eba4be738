import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  clientSpans,
  currentTraceId,
  injectTraceContext,
  isSelfTracedOrigin,
  serverSpanMiddleware,
  tracingMiddleware,
  withClientSpan,
  shutdownTelemetry,
  isTelemetryStarted,
} from '../../src/telemetry';
import type { EdgeState } from '../../src/state';

// In the mocha process no SDK runs (sdk.test.ts starts one in a child process): these prove the helpers cost nothing
// and change nothing when tracing is off.
describe('telemetry helpers without a started SDK', () => {
  let server: Server;
  let base: string;
  const settled: string[] = [];

  before(async () => {
    const app = new Koa<EdgeState>();
    app.silent = true;
    app.use(async (ctx, next) => {
      try {
        await next();
        settled.push(`resolved ${ctx.status} ${ctx.state.route?.template ?? '-'}`);
      } catch (err) {
        settled.push(`rejected ${(err as Error).message}`);
        throw err;
      }
    });
    app.use(serverSpanMiddleware());
    app.use(tracingMiddleware());
    app.use(async (ctx) => {
      ctx.state.route = { id: 'get-order', template: '/orders/:orderId' };
      if (ctx.path === '/orders/boom') throw new Error('boom');
      ctx.body = { traceId: currentTraceId() ?? null };
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('serverSpanMiddleware and tracingMiddleware pass requests and errors through untouched', async () => {
    const ok = await fetch(`${base}/orders/1`, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    expect(ok.status).to.equal(200);
    expect(await ok.json()).to.deep.equal({ traceId: null });
    expect(ok.headers.get('traceparent')).to.equal(null);
    expect((await fetch(`${base}/orders/boom`)).status).to.equal(500);
    expect(settled).to.deep.equal(['resolved 200 /orders/:orderId', 'rejected boom']);
  });

  it('currentTraceId is undefined outside any span', () => {
    expect(currentTraceId()).to.equal(undefined);
  });

  it('injectTraceContext leaves headers unchanged and returns the same object', () => {
    const headers = { accept: 'application/json' };
    expect(injectTraceContext(headers)).to.equal(headers);
    expect(headers).to.deep.equal({ accept: 'application/json' });
  });

  it('withClientSpan returns the result and rethrows failures', async () => {
    expect(await withClientSpan('Kitchen/GetTicket', {}, async () => 42)).to.equal(42);
    let caught: unknown;
    await withClientSpan('Kitchen/Fail', {}, async () => {
      throw new Error('unavailable');
    }).catch((err: unknown) => (caught = err));
    expect((caught as Error).message).to.equal('unavailable');
  });

  it('clientSpans gives no span starter when tracing is off, but marks the origin as traced by its caller', () => {
    expect(clientSpans('http://127.0.0.1:18080/')).to.equal(undefined);
    // instrumentation-undici skips these origins however they are spelled, and only these.
    expect(isSelfTracedOrigin('http://127.0.0.1:18080')).to.equal(true);
    expect(isSelfTracedOrigin('http://127.0.0.1:18080/')).to.equal(true);
    expect(isSelfTracedOrigin('http://127.0.0.1:18081')).to.equal(false);
    expect(isSelfTracedOrigin('not a url')).to.equal(false);
  });

  it('shutdownTelemetry is a no-op when telemetry never started', async () => {
    expect(isTelemetryStarted()).to.equal(false);
    await shutdownTelemetry(100);
    expect(isTelemetryStarted()).to.equal(false);
  });
});
