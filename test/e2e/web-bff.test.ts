/**
 * web-bff end to end: the six real backends and the real web-bff process (compiled dist/, wired by the fleet harness
 * exactly as `make dev` wires them), driven over loopback with tokens signed by the local-development secret.
 * Needs `npx tsc -b` first.
 */
import { expect } from 'chai';
import { request } from 'undici';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startFleet, type Fleet } from './support/fleet';
import { BACKENDS, FAST_TIMINGS as TIMINGS, http, until, type Reply } from './support/http';

const NEW_ORDER = { restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 2 }, { menuItemId: 'm-103', quantity: 1 }], deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' } };




describe('web-bff end to end (real backends and BFF processes)', function () {
  this.timeout(30_000);
  let fleet: Fleet;
  let web: string;
  let sign: (sub: string, scope?: string) => string;

  before(async function () {
    this.timeout(60_000);
    const local = await import('../../scripts/local-dev.mjs');
    sign = (sub, scope = 'orders:read orders:write') =>
      jwt.sign({ scope, roles: ['consumer'] }, local.LOCAL_JWT_SECRET, { algorithm: 'HS256', issuer: local.LOCAL_JWT_ISSUER, audience: 'web', subject: sub, expiresIn: 600 });
    fleet = await startFleet({ services: [...BACKENDS, 'web-bff'], env: TIMINGS });
    web = fleet.url('web-bff');
  });
  after(async () => {
    await fleet?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });

  const ordersOf = async (consumerId: string) => ((await http(`${fleet.url('order')}/orders?consumerId=${consumerId}`)).body.orders as unknown[]).length;

  it('answers 401 without a token', async () => {
    const res = await http(`${web}/orders`);
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.match(/^Bearer/);
  });

  it('places an order, reads all five parts of its details and watches it reach DELIVERED', async () => {
    const token = sign('c-1001');
    const placed = await http(`${web}/orders`, { method: 'POST', token, body: NEW_ORDER });
    expect(placed.status).to.equal(201);
    expect(placed.body).to.include({ consumerId: 'c-1001', restaurantId: 'r-1', total: 2 * 1250 + 350 });
    const id = String(placed.body.orderId);
    expect(placed.headers.location).to.equal(`/orders/${id}`);

    const details = await http(`${web}/orders/${id}`, { token });
    expect(details.status).to.equal(200);
    expect(details.body).to.have.all.keys('order', 'restaurant', 'ticket', 'delivery', 'bill');
    expect(details.body.restaurant).to.include({ restaurantId: 'r-1', name: 'Ajanta' });
    expect(details.body.ticket).to.include({ orderId: id });
    expect(details.body.delivery).to.have.property('courier');
    expect(details.body.bill).to.include({ orderId: id, amount: 2850 });
    // Ticket and delivery came over gRPC (times still ISO 8601): the kitchen's REST API never saw a GET for the ticket.
    expect(Date.parse(String((details.body.ticket as { readyBy: string }).readyBy))).to.be.greaterThan(0);
    expect(Date.parse(String((details.body.delivery as { eta: string }).eta))).to.be.greaterThan(0);
    const kitchenMetrics = await (await request(`${fleet.url('kitchen')}/metrics`)).body.text();
    expect(kitchenMetrics).to.match(/http_requests_total\{route="\/tickets",method="POST"/);
    expect(kitchenMetrics).not.to.match(/http_requests_total\{route="\/tickets\/:orderId",method="GET"/);
    const webMetrics = await (await request(`${web}/metrics`)).body.text();
    expect(webMetrics).to.match(/upstream="kitchen",operation="compose ticket",outcome="ok"\} [1-9]/);
    expect(webMetrics).to.match(/upstream="delivery",operation="compose delivery",outcome="ok"\} [1-9]/);

    const states: string[] = [];
    await until(
      'order DELIVERED',
      async () => {
        const state = String(((await http(`${web}/orders/${id}?fields=order.state`, { token })).body.order as { state: string }).state);
        if (states.at(-1) !== state) states.push(state);
        return state === 'DELIVERED' ? true : undefined;
      },
      10_000,
    );
    expect(states.at(-1)).to.equal('DELIVERED');
    expect(states.length).to.be.greaterThan(1);

    // After pickup the order service refuses, and the BFF passes its 409 on.
    const late = await http(`${web}/orders/${id}/cancel`, { method: 'POST', token });
    expect(late.status).to.equal(409);
    expect(late.body.type).to.equal('urn:portico:problem:conflict');
  });

  it('cancels a fresh order (200), and lists it under its state', async () => {
    const token = sign('c-1001');
    const placed = await http(`${web}/orders`, { method: 'POST', token, body: NEW_ORDER });
    const id = String(placed.body.orderId);
    const cancelled = await http(`${web}/orders/${id}/cancel`, { method: 'POST', token });
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body).to.include({ orderId: id, state: 'CANCELLED' });
    const listed = await http(`${web}/orders?state=CANCELLED`, { token });
    expect((listed.body.orders as Array<{ orderId: string }>).map((o) => o.orderId)).to.include(id);
  });

  it('answers 404 to a second consumer reading or cancelling the first one’s order', async () => {
    const placed = await http(`${web}/orders`, { method: 'POST', token: sign('c-1001'), body: NEW_ORDER });
    const id = String(placed.body.orderId);
    const stranger = sign('c-1002');
    expect((await http(`${web}/orders/${id}`, { token: stranger })).status).to.equal(404);
    expect((await http(`${web}/orders/${id}/cancel`, { method: 'POST', token: stranger })).status).to.equal(404);
    const own = (await http(`${web}/orders`, { token: stranger })).body.orders as Array<{ orderId: string }>;
    expect(own.map((o) => o.orderId)).not.to.include(id);
    expect(((await http(`${web}/orders/${id}?fields=order.state`, { token: sign('c-1001') })).body.order as { state: string }).state).not.to.equal('CANCELLED');
  });

  it('answers 422 to a bad body and creates nothing', async () => {
    const before = await ordersOf('c-1002');
    const res = await http(`${web}/orders`, { method: 'POST', token: sign('c-1002'), body: { ...NEW_ORDER, consumerId: 'c-1001', lineItems: [] } });
    expect(res.status).to.equal(422);
    expect(res.body.type).to.equal('urn:portico:problem:validation-failed');
    expect(await ordersOf('c-1002')).to.equal(before);
    expect(await ordersOf('c-1001')).to.be.greaterThan(0);
  });

  it('answers 429 with RateLimit headers and Retry-After past the POST /orders limit (10 a minute per consumer)', async () => {
    const token = sign('c-1003');
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 11; i++) {
      last = await http(`${web}/orders`, { method: 'POST', token, body: { restaurantId: 'r-1' } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10)).to.deep.equal(Array(10).fill(422));
    expect(last!.status).to.equal(429);
    expect(last!.headers['retry-after']).to.match(/^\d+$/);
    expect(last!.headers['ratelimit-policy']).to.equal('"place-order";q=10;w=60');
    expect(last!.headers.ratelimit).to.match(/^"place-order";r=0;t=\d+$/);
    expect(await ordersOf('c-1003')).to.equal(0);
  });

  it('answers CORS preflights from the local browser app (204) and refuses another origin (403, no CORS headers)', async () => {
    // The fleet plan allows the local web app's origin, wherever the harness put it.
    const app = `http://localhost:${fleet.port('web-app')}`;
    const allowed = await http(`${web}/orders`, { method: 'OPTIONS', headers: { origin: app, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(allowed.status).to.equal(204);
    expect(allowed.headers['access-control-allow-origin']).to.equal(app);
    expect(String(allowed.headers['access-control-allow-headers'])).to.contain('Authorization');
    const refused = await http(`${web}/orders`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(refused.status).to.equal(403);
    expect(refused.body.type).to.equal('urn:portico:problem:origin-not-allowed');
    expect(Object.keys(refused.headers).filter((h) => h.startsWith('access-control-'))).to.deep.equal([]);
  });

  it('pushes an order’s state changes in order over the live WebSocket, and refuses another consumer’s order with 404 before upgrading', async () => {
    const token = sign('c-1001');
    const id = String((await http(`${web}/orders`, { method: 'POST', token, body: NEW_ORDER })).body.orderId);
    const live = `${web.replace(/^http/, 'ws')}/orders/${id}/live`;
    const states = await new Promise<string[]>((resolve, reject) => {
      const seen: string[] = [];
      const ws = new WebSocket(live, ['bearer', token]);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`live: only [${seen.join(', ')}] within 10 s`));
      }, 10_000);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('message', (data) => {
        const event = JSON.parse(String(data)) as { type: string; state?: string };
        if (event.type !== 'order.state-changed') return;
        seen.push(String(event.state));
        if (event.state !== 'DELIVERED') return;
        clearTimeout(timer);
        ws.close();
        resolve(seen);
      });
    });
    // Live means from the upgrade on (APPROVED came with the 201): whatever followed arrives in order, none missing.
    const lifecycle = ['APPROVED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'DELIVERED'];
    expect(states.length).to.be.at.least(3);
    expect(states).to.deep.equal(lifecycle.slice(lifecycle.length - states.length));
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(live, ['bearer', sign('c-1002')]);
      ws.on('open', () => {
        ws.terminate();
        reject(new Error('a stranger’s live connection was upgraded'));
      });
      ws.on('error', reject);
      // With this listener ws leaves the refused answer to us: read its status, then drop the request.
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
    });
    expect(refused).to.equal(404);
  });

  it('answers partial details (delivery null plus an _errors entry) while the delivery service is stopped', async () => {
    const token = sign('c-1001');
    const id = String((await http(`${web}/orders`, { method: 'POST', token, body: NEW_ORDER })).body.orderId);
    await fleet.stop('delivery');
    try {
      const res = await http(`${web}/orders/${id}`, { token });
      expect(res.status).to.equal(200);
      expect(res.body.delivery).to.equal(null);
      // Delivery is read over gRPC: a backend that is down answers UNAVAILABLE (503), retried and then given up.
      expect(res.body._errors).to.deep.equal([{ part: 'delivery', status: 503, title: 'Upstream unavailable' }]);
      expect(res.body.order).to.include({ orderId: id });
      expect(res.body.bill).to.include({ orderId: id });
    } finally {
      await fleet.start('delivery');
    }
  });
});
