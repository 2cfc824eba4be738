import { expect } from 'chai';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import { problemMiddleware, type EdgeState } from '@portico/edge';
import { composeHandler } from '../../src/compose/declarative';
import { composeSpecSchema } from '../../src/compose/compose-schema';
import { createUpstreams, type Upstreams } from '../../src/clients/upstreams';
import { json, memoryLogger, sleep, startUpstream, type ScriptedUpstream } from '../clients/scripted-upstream';

const spec = composeSpecSchema.parse({
  parts: [
    { key: 'order', upstream: 'order', path: '/orders/:orderId', required: true, fields: ['orderId', 'state', 'restaurantId', 'lineItems', 'total'] },
    { key: 'restaurant', upstream: 'restaurant', path: '/restaurants/{order.restaurantId}', fields: ['id', 'name'] },
    { key: 'delivery', upstream: 'delivery', path: '/deliveries/:orderId' },
  ],
  margin: '20ms',
});

const ORDER = { orderId: 'o1', state: 'APPROVED', restaurantId: 'r 7', lineItems: [{ menuItemId: 'm1', quantity: 2 }], total: 10, consumerId: 'c-secret', internalNotes: 'x' };

describe('composeHandler (GET /orders/:orderId, declarative)', () => {
  let order: ScriptedUpstream;
  let restaurant: ScriptedUpstream;
  let delivery: ScriptedUpstream;
  let upstreams: Upstreams;
  let server: Server;
  let base: string;
  const afterNext: Array<{ status: number; body: unknown }> = [];

  before(async () => {
    [order, restaurant, delivery] = await Promise.all([startUpstream(), startUpstream(), startUpstream()]);
    upstreams = createUpstreams(
      { order: { url: order.url }, restaurant: { url: restaurant.url }, delivery: { url: delivery.url } },
      { logger: memoryLogger() },
    );
    const app = new Koa<EdgeState>();
    const log = memoryLogger();
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-42';
      ctx.state.log = log;
      await next();
      afterNext.push({ status: ctx.status, body: ctx.body });
    });
    app.use(problemMiddleware());
    const handler = composeHandler(spec, { upstreams, routePath: '/orders/:orderId', routeTimeoutMs: 400, headers: () => ({ 'x-user-id': 'u1' }) });
    app.use(async (ctx, next) => {
      const m = /^\/orders\/([^/]+)$/.exec(ctx.path);
      if (!m) return next();
      ctx.state.route = { id: 'get-order-details', template: '/orders/:orderId' };
      ctx.state.params = { orderId: decodeURIComponent(m[1]!) };
      await handler(ctx, next);
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Warm up: the first HTTP client in a process compiles its parser, which would distort the timing tests.
    await (await fetch(`${base}/orders/warm-up`)).text();
  });
  after(async () => {
    server.close();
    await upstreams.close();
    await Promise.all([order.close(), restaurant.close(), delivery.close()]);
  });
  beforeEach(() => {
    for (const up of [order, restaurant, delivery]) up.reset();
    afterNext.length = 0;
    order.handler = (_req, res) => json(res, 200, ORDER);
    restaurant.handler = (req, res) => json(res, 200, { id: decodeURIComponent((req.url ?? '').split('/')[2] ?? ''), name: 'Ajanta', address: 'internal' });
    delivery.handler = (_req, res) => json(res, 200, { eta: '12:30', courier: 'Ann' });
  });

  it('answers 200 with every part under its key, allow-listed fields only, the dependent call using order.restaurantId', async () => {
    const res = await fetch(`${base}/orders/o1`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({
      order: { orderId: 'o1', state: 'APPROVED', restaurantId: 'r 7', lineItems: [{ menuItemId: 'm1', quantity: 2 }], total: 10 },
      restaurant: { id: 'r 7', name: 'Ajanta' },
      delivery: { eta: '12:30', courier: 'Ann' },
    });
    expect(restaurant.paths).to.deep.equal(['/restaurants/r%207']);
    expect(order.seen[0]?.['x-request-id']).to.equal('req-42');
    expect(order.seen[0]?.['x-user-id']).to.equal('u1');
    expect(afterNext[0]?.status).to.equal(200);
  });

  it('answers 200 with delivery null and an _errors entry when delivery times out, within the deadline', async () => {
    delivery.handler = async (_req, res) => {
      await sleep(2000);
      json(res, 200, {});
    };
    const t0 = Date.now();
    const res = await fetch(`${base}/orders/o1`);
    const elapsed = Date.now() - t0;
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).to.equal(200);
    expect(body.delivery).to.equal(null);
    expect(body._errors).to.deep.equal([{ part: 'delivery', status: 504, title: 'Request deadline exceeded' }]);
    expect(body.order).to.deep.include({ state: 'APPROVED' });
    expect(elapsed).to.be.within(350, 700);
  });

  it('runs independent parts in parallel: latency is the slowest branch, not the sum', async () => {
    order.handler = async (_req, res) => {
      await sleep(150);
      json(res, 200, ORDER);
    };
    delivery.handler = async (_req, res) => {
      await sleep(150);
      json(res, 200, { eta: '1' });
    };
    const t0 = Date.now();
    const res = await fetch(`${base}/orders/o1`);
    await res.json();
    // Sequential calls would take 300 ms or more.
    expect(Date.now() - t0).to.be.within(145, 260);
  });

  it('fails with 404 when the required order does not exist', async () => {
    order.handler = (_req, res) => json(res, 404, {});
    const res = await fetch(`${base}/orders/nope`);
    expect(res.status).to.equal(404);
    expect(res.headers.get('content-type')).to.equal('application/problem+json');
    expect(restaurant.hits).to.equal(0);
  });

  it('fails with the mapped 502 when the required order fails, without upstream body or host', async () => {
    order.handler = (_req, res) => json(res, 500, { error: `db at ${order.url} down` });
    const res = await fetch(`${base}/orders/o1`);
    const text = await res.text();
    expect(res.status).to.equal(502);
    expect(text).to.contain('urn:portico:problem:upstream-error');
    expect(text).not.to.contain('127.0.0.1');
    expect(afterNext[0]?.status).to.equal(502);
  });

  it('fails with 502 UPSTREAM_BAD_RESPONSE when the order answer is malformed JSON', async () => {
    order.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"orderId":');
    };
    const res = await fetch(`${base}/orders/o1`);
    expect(res.status).to.equal(502);
    expect(((await res.json()) as { type: string }).type).to.equal('urn:portico:problem:upstream-bad-response');
  });

  it('marks the dependent restaurant part failed when its input cannot be used', async () => {
    order.handler = (_req, res) => json(res, 200, { ...ORDER, restaurantId: null });
    const body = (await (await fetch(`${base}/orders/o1`)).json()) as Record<string, unknown>;
    expect(body.restaurant).to.equal(null);
    expect(body._errors).to.deep.equal([{ part: 'restaurant', status: 502, title: 'Upstream sent an invalid response' }]);
    expect(restaurant.hits).to.equal(0);
  });

  it('trims the answer to ?fields=', async () => {
    const res = await fetch(`${base}/orders/o1?fields=order.state,delivery.eta`);
    expect(await res.json()).to.deep.equal({ order: { state: 'APPROVED' }, delivery: { eta: '12:30' } });
  });

  it('answers 400 UNKNOWN_FIELD for a field outside the allow-list, before calling any backend', async () => {
    const res = await fetch(`${base}/orders/o1?fields=order.consumerId`);
    expect(res.status).to.equal(400);
    const body = (await res.json()) as { type: string; detail: string };
    expect(body.type).to.equal('urn:portico:problem:unknown-field');
    expect(body.detail).to.equal('fields: unknown field "order.consumerId"');
    expect(order.hits + restaurant.hits + delivery.hits).to.equal(0);
  });

  it('aborts every upstream call when the client goes away', async () => {
    order.handler = async (_req, res) => {
      await sleep(1000);
      json(res, 200, ORDER);
    };
    delivery.handler = async (_req, res) => {
      await sleep(1000);
      json(res, 200, {});
    };
    const closes = Promise.all([order.nextEarlyClose(), delivery.nextEarlyClose()]);
    const req = httpRequest(`${base}/orders/o1`);
    req.on('error', () => {});
    req.end();
    await sleep(60);
    req.destroy();
    await closes;
    expect(order.earlyCloses).to.equal(1);
    expect(delivery.earlyCloses).to.equal(1);
  });

  it('refuses at start-up a part whose :param the route path lacks, or an unknown upstream', () => {
    const bad = composeSpecSchema.parse({ parts: [{ key: 'o', upstream: 'order', path: '/orders/:id' }] });
    expect(() => composeHandler(bad, { upstreams, routePath: '/orders/:orderId' })).to.throw('uses :id');
    const unknown = composeSpecSchema.parse({ parts: [{ key: 'k', upstream: 'kitchen', path: '/k' }] });
    expect(() => composeHandler(unknown, { upstreams })).to.throw('unknown upstream');
  });
});
