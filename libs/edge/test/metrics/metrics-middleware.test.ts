import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics, metricsMiddleware, type EdgeMetrics } from '../../src/metrics';
import { EdgeError, problemMiddleware } from '../../src/errors';
import type { EdgeState } from '../../src/state';
import { sample } from './prometheus-text';

describe('metricsMiddleware', () => {
  let server: Server;
  let base: string;
  let metrics: EdgeMetrics;
  const afterNext: Array<{ path: string; settled: 'resolved' | 'rejected' }> = [];

  before(async () => {
    metrics = createMetrics({ serviceName: 'test-bff' });
    const app = new Koa<EdgeState>();
    app.silent = true;
    app.use(problemMiddleware());
    // Observes what metricsMiddleware hands back to the middleware above it.
    app.use(async (ctx, next) => {
      try {
        await next();
        afterNext.push({ path: ctx.path, settled: 'resolved' });
      } catch (err) {
        afterNext.push({ path: ctx.path, settled: 'rejected' });
        throw err;
      }
    });
    app.use(metricsMiddleware(metrics));
    app.use(async (ctx, next) => {
      // A stand-in router: only /orders/:orderId and /menu are routes.
      if (/^\/orders\/[^/]+$/.test(ctx.path)) ctx.state.route = { id: 'get-order', template: '/orders/:orderId' };
      if (ctx.path === '/menu') ctx.state.route = { id: 'get-menu', template: '/menu' };
      await next();
    });
    app.use(async (ctx) => {
      if (ctx.path === '/orders/limited') {
        ctx.state.rateLimit = { policy: 'orders', allowed: false, remaining: 0 };
        throw new EdgeError('RATE_LIMITED');
      }
      if (ctx.path === '/orders/degraded') ctx.state.rateLimit = { policy: 'orders', allowed: true, remaining: 4, storeFailure: true };
      if (ctx.path === '/orders/closed') throw new EdgeError('RATE_LIMIT_UNAVAILABLE');
      if (ctx.path === '/orders/crash') throw new Error('boom');
      if (ctx.path === '/livez') ctx.body = 'ok';
      if (!ctx.state.route) return;
      ctx.state.rateLimit ??= { policy: 'orders', allowed: true, remaining: 9 };
      if (ctx.path === '/menu') ctx.state.cache = ctx.get('x-test-cache') === 'hit' ? 'HIT' : 'MISS';
      if (ctx.path === '/orders/456') ctx.state.cache = 'BYPASS';
      if (ctx.path === '/orders/zipped') ctx.state.compression = { encoding: 'br', bytesIn: 4524, bytesOut: 516 };
      if (ctx.path === '/orders/streamed') ctx.state.compression = { encoding: 'gzip' };
      ctx.body = { ok: true };
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  beforeEach(() => {
    metrics.httpRequests.reset();
    metrics.httpDuration.reset();
    metrics.rateLimitDecisions.reset();
    metrics.cacheLookups.reset();
    afterNext.length = 0;
  });

  async function scrape(): Promise<string> {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).to.equal(200);
    return res.text();
  }

  it('labels requests by route template, so two order ids make one series', async () => {
    await fetch(`${base}/orders/123`);
    await fetch(`${base}/orders/456`);
    const text = await scrape();
    expect(sample(text, 'http_requests_total', { route: '/orders/:orderId', method: 'GET', status: '200', service: 'test-bff' })).to.equal(2);
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/orders/:orderId', method: 'GET', status_class: '2xx', service: 'test-bff' })).to.equal(2);
    expect(text).not.to.match(/\/orders\/123|\/orders\/456/);
    expect(afterNext).to.deep.include({ path: '/orders/123', settled: 'resolved' });
  });

  it('labels paths no route matched as unmatched, never by their raw path', async () => {
    await fetch(`${base}/wp-admin/install.php`);
    await fetch(`${base}/.env`);
    const text = await scrape();
    expect(sample(text, 'http_requests_total', { route: 'unmatched', method: 'GET', status: '404', service: 'test-bff' })).to.equal(2);
    expect(text).not.to.match(/wp-admin|\.env/);
  });

  it('labels the probe endpoints by their fixed path', async () => {
    await fetch(`${base}/livez`);
    expect(sample(await scrape(), 'http_requests_total', { route: '/livez', method: 'GET', status: '200', service: 'test-bff' })).to.equal(1);
  });

  // Node's parser already refuses methods it does not know; these are WebDAV and cache methods it accepts.
  it('folds methods outside the standard set into OTHER', async () => {
    await fetch(`${base}/menu`, { method: 'PROPFIND' });
    await fetch(`${base}/menu`, { method: 'PURGE' });
    const text = await scrape();
    expect(sample(text, 'http_requests_total', { route: '/menu', method: 'OTHER', status: '200', service: 'test-bff' })).to.equal(2);
    expect(text).not.to.match(/PROPFIND|PURGE/);
  });

  it('counts rate-limit decisions and cache lookups the route chain left on ctx.state', async () => {
    await fetch(`${base}/menu`, { headers: { 'x-test-cache': 'hit' } });
    await fetch(`${base}/menu`);
    await fetch(`${base}/orders/456`);
    await fetch(`${base}/orders/degraded`);
    const text = await scrape();
    expect(sample(text, 'portico_cache_lookups_total', { route: '/menu', result: 'hit', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'portico_cache_lookups_total', { route: '/menu', result: 'miss', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'portico_cache_lookups_total', { route: '/orders/:orderId', result: 'bypass', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'portico_rate_limit_decisions_total', { route: '/menu', outcome: 'allowed', service: 'test-bff' })).to.equal(2);
    expect(sample(text, 'portico_rate_limit_decisions_total', { route: '/orders/:orderId', outcome: 'store_failure', service: 'test-bff' })).to.equal(1);
  });

  it('counts compressed answers by encoding, and the bytes of whole ones before and after', async () => {
    metrics.compressedResponses.reset();
    metrics.compressionBytes.reset();
    await fetch(`${base}/orders/zipped`);
    await fetch(`${base}/orders/zipped`);
    await fetch(`${base}/orders/streamed`);
    await fetch(`${base}/orders/plain`);
    const text = await scrape();
    const route = '/orders/:orderId';
    expect(sample(text, 'portico_compressed_responses_total', { route, encoding: 'br', service: 'test-bff' })).to.equal(2);
    expect(sample(text, 'portico_compressed_responses_total', { route, encoding: 'gzip', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'portico_compression_bytes_total', { route, stage: 'in', service: 'test-bff' })).to.equal(2 * 4524);
    expect(sample(text, 'portico_compression_bytes_total', { route, stage: 'out', service: 'test-bff' })).to.equal(2 * 516);
  });

  it('records requests that fail with the status the error will be answered with, and rethrows', async () => {
    expect((await fetch(`${base}/orders/limited`)).status).to.equal(429);
    expect((await fetch(`${base}/orders/closed`)).status).to.equal(503);
    expect((await fetch(`${base}/orders/crash`)).status).to.equal(500);
    const text = await scrape();
    expect(sample(text, 'http_requests_total', { route: '/orders/:orderId', method: 'GET', status: '429', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'http_requests_total', { route: '/orders/:orderId', method: 'GET', status: '503', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'http_requests_total', { route: '/orders/:orderId', method: 'GET', status: '500', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/orders/:orderId', method: 'GET', status_class: '5xx', service: 'test-bff' })).to.equal(2);
    expect(sample(text, 'portico_rate_limit_decisions_total', { route: '/orders/:orderId', outcome: 'limited', service: 'test-bff' })).to.equal(1);
    expect(sample(text, 'portico_rate_limit_decisions_total', { route: '/orders/:orderId', outcome: 'store_failure', service: 'test-bff' })).to.equal(1);
    expect(afterNext.filter((a) => a.settled === 'rejected').map((a) => a.path)).to.deep.equal(['/orders/limited', '/orders/closed', '/orders/crash']);
  });

  it('returns in-flight to zero after requests finish', async () => {
    await Promise.all([fetch(`${base}/menu`), fetch(`${base}/orders/crash`)]);
    expect(sample(await scrape(), 'http_requests_in_flight', { service: 'test-bff' })).to.equal(0);
  });

  it('serves GET /metrics in the Prometheus text format and does not count the scrape itself', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const text = await res.text();
    expect(text).to.include('# TYPE http_requests_total counter');
    expect(text).not.to.include('route="/metrics"');
    expect(afterNext).to.deep.equal([{ path: '/metrics', settled: 'resolved' }]);
  });

  it('passes other methods on /metrics down the chain', async () => {
    const res = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(res.status).to.equal(404);
    expect(sample(await scrape(), 'http_requests_total', { route: 'unmatched', method: 'POST', status: '404', service: 'test-bff' })).to.equal(1);
  });
});
