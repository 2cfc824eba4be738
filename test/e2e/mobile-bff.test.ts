/**
 * mobile-bff end to end: the six real backends and the real mobile-bff process (compiled dist/, wired by the fleet harness
 * exactly as `make dev` wires them), driven over loopback with tokens signed by the local-development secret.
 * Needs `npx tsc -b` first.
 */
import { expect } from 'chai';
import { request } from 'undici';
import jwt from 'jsonwebtoken';
import { startFleet, type Fleet } from './support/fleet';
import { BACKENDS, FAST_TIMINGS as TIMINGS, http, until, type Reply } from './support/http';

const NEW_ORDER = { restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 2 }, { menuItemId: 'm-103', quantity: 1 }], deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' } };




describe('mobile-bff end to end (real backends and BFF processes)', function () {
  this.timeout(30_000);
  let fleet: Fleet;
  let mobile: string;
  let sign: (sub: string, scope?: string) => string;

  before(async function () {
    this.timeout(60_000);
    const local = await import('../../scripts/local-dev.mjs');
    sign = (sub, scope = 'orders:read orders:write') =>
      jwt.sign({ scope, roles: ['consumer'] }, local.LOCAL_JWT_SECRET, { algorithm: 'HS256', issuer: local.LOCAL_JWT_ISSUER, audience: 'mobile', subject: sub, expiresIn: 600 });
    fleet = await startFleet({ services: [...BACKENDS, 'mobile-bff'], env: TIMINGS });
    mobile = fleet.url('mobile-bff');
  });
  after(async () => {
    await fleet?.stopAll();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });

  const ordersOf = async (consumerId: string) => ((await http(`${fleet.url('order')}/orders?consumerId=${consumerId}`)).body.orders as unknown[]).length;

  it('answers 401 without a token', async () => {
    const res = await http(`${mobile}/orders`);
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.match(/^Bearer/);
  });

  it('places an order, reads its compact summary and watches it reach DELIVERED', async () => {
    const token = sign('c-1001');
    const placed = await http(`${mobile}/orders`, { method: 'POST', token, body: NEW_ORDER });
    expect(placed.status).to.equal(201);
    const id = String(placed.body.orderId);
    expect(placed.body).to.deep.include({ orderId: id, state: 'APPROVED', itemCount: 3, total: { amount: 28.5, currency: 'USD', display: '$28.50' } });
    expect(placed.headers.location).to.equal(`/orders/${id}`);

    const details = await http(`${mobile}/orders/${id}`, { token });
    expect(details.status).to.equal(200);
    expect(details.body).to.have.all.keys('orderId', 'state', 'restaurantName', 'itemCount', 'total', 'eta', 'courier');
    expect(details.body).to.include({ orderId: id, restaurantName: 'Ajanta', itemCount: 3 });
    expect(Date.parse(String(details.body.eta))).to.be.greaterThan(0);
    expect(details.body.courier).to.have.property('name').that.is.a('string');
    // The delivery came over gRPC: the delivery service's REST API saw no read of it.
    const deliveryMetrics = await (await request(`${fleet.url('delivery')}/metrics`)).body.text();
    expect(deliveryMetrics).not.to.match(/http_requests_total\{route="\/deliveries\/:orderId",method="GET"/);

    const states: string[] = [];
    await until(
      'order DELIVERED',
      async () => {
        const state = String((await http(`${mobile}/orders/${id}?fields=state`, { token })).body.state);
        if (states.at(-1) !== state) states.push(state);
        return state === 'DELIVERED' ? true : undefined;
      },
      10_000,
    );
    expect(states.at(-1)).to.equal('DELIVERED');
    expect(states.length).to.be.greaterThan(1);

    const late = await http(`${mobile}/orders/${id}/cancel`, { method: 'POST', token });
    expect(late.status).to.equal(409);
    expect(late.body.type).to.equal('urn:portico:problem:conflict');
  });

  it('lists restaurants as compact cards and the caller’s orders as compact rows', async () => {
    const token = sign('c-1001');
    const restaurants = await http(`${mobile}/restaurants`, { token });
    expect(restaurants.status).to.equal(200);
    expect((restaurants.body.restaurants as unknown[])[0]).to.deep.equal({ id: 'r-1', name: 'Ajanta', cuisine: 'Indian' });
    const orders = (await http(`${mobile}/orders`, { token })).body.orders as Array<Record<string, unknown>>;
    expect(orders.length).to.be.greaterThan(0);
    expect(orders[0]).to.have.all.keys('orderId', 'state', 'restaurantName', 'itemCount', 'total', 'placedAt');
  });

  it('cancels a fresh order (200), and lists it under its state', async () => {
    const token = sign('c-1001');
    const placed = await http(`${mobile}/orders`, { method: 'POST', token, body: NEW_ORDER });
    const id = String(placed.body.orderId);
    const cancelled = await http(`${mobile}/orders/${id}/cancel`, { method: 'POST', token });
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body).to.include({ orderId: id, state: 'CANCELLED', itemCount: 3 });
    const listed = await http(`${mobile}/orders?state=CANCELLED`, { token });
    expect((listed.body.orders as Array<{ orderId: string }>).map((o) => o.orderId)).to.include(id);
  });

  it('answers 404 to a second consumer reading or cancelling the first one’s order', async () => {
    const placed = await http(`${mobile}/orders`, { method: 'POST', token: sign('c-1001'), body: NEW_ORDER });
    const id = String(placed.body.orderId);
    const stranger = sign('c-1002');
    expect((await http(`${mobile}/orders/${id}`, { token: stranger })).status).to.equal(404);
    expect((await http(`${mobile}/orders/${id}/cancel`, { method: 'POST', token: stranger })).status).to.equal(404);
    const own = (await http(`${mobile}/orders`, { token: stranger })).body.orders as Array<{ orderId: string }>;
    expect(own.map((o) => o.orderId)).not.to.include(id);
    expect((await http(`${mobile}/orders/${id}?fields=state`, { token: sign('c-1001') })).body.state).not.to.equal('CANCELLED');
  });

  it('answers 422 to a bad body and creates nothing', async () => {
    const before = await ordersOf('c-1002');
    const res = await http(`${mobile}/orders`, { method: 'POST', token: sign('c-1002'), body: { ...NEW_ORDER, consumerId: 'c-1001', lineItems: [] } });
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
      last = await http(`${mobile}/orders`, { method: 'POST', token, body: { restaurantId: 'r-1' } });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10)).to.deep.equal(Array(10).fill(422));
    expect(last!.status).to.equal(429);
    expect(last!.headers['retry-after']).to.match(/^\d+$/);
    expect(last!.headers['ratelimit-policy']).to.equal('"place-order";q=10;w=60');
    expect(last!.headers.ratelimit).to.match(/^"place-order";r=0;t=\d+$/);
    expect(await ordersOf('c-1003')).to.equal(0);
  });

  it('answers a partial summary (eta null, no courier, an _errors entry) while the delivery service is stopped', async () => {
    const token = sign('c-1001');
    const id = String((await http(`${mobile}/orders`, { method: 'POST', token, body: NEW_ORDER })).body.orderId);
    await fleet.stop('delivery');
    try {
      const res = await http(`${mobile}/orders/${id}`, { token });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ orderId: id, restaurantName: 'Ajanta', eta: null });
      expect(res.body).not.to.have.property('courier');
      // Delivery is read over gRPC: a backend that is down answers UNAVAILABLE (503), retried and then given up.
      expect(res.body._errors).to.deep.equal([{ part: 'delivery', status: 503, title: 'Upstream unavailable' }]);
    } finally {
      await fleet.start('delivery');
    }
  });
});
