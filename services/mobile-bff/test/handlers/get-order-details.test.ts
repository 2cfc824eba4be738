import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, startFtgoMocks, startMobileBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('GET /orders/:orderId (mobile-bff getOrderDetails)', () => {
  let mocks: FtgoMocks;
  let bff: StartedBff;
  const seed = (orderId: string, consumerId: string) =>
    mocks.orders.set(orderId, { orderId, consumerId, restaurantId: 'r-1', state: 'APPROVED', lineItems: [{ menuItemId: 'm-101', quantity: 2, name: 'x', price: 1250 }], total: 2500, currency: 'USD' });
  before(async () => {
    mocks = await startFtgoMocks();
    bff = await startMobileBff(mocks);
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => {
    for (const m of [mocks.order, mocks.restaurant, mocks.delivery, mocks.deliveryEvents, mocks.kitchen, mocks.accounting]) m.reset();
  });

  it('answers the compact summary from order, restaurant and delivery (over gRPC), never calling kitchen or accounting', async () => {
    seed('o-1', 'c-1001');
    const res = await call(`${bff.url}/orders/o-1`, { token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      orderId: 'o-1',
      state: 'APPROVED',
      restaurantName: 'Ajanta',
      itemCount: 2,
      total: { amount: 25, currency: 'USD', display: '$25.00' },
      eta: '2030-01-01T12:30:00.000Z',
      courier: { name: 'Dana', location: { lat: 37.8, lng: -122.27 } },
    });
    expect(mocks.restaurant.requests[0]?.pathname).to.equal('/restaurants/r-1');
    expect(mocks.delivery.calls[0]?.request).to.deep.equal({ orderId: 'o-1' });
    expect(mocks.delivery.calls[0]?.metadata['x-principal-subject']).to.equal('c-1001');
    expect(mocks.deliveryEvents.count()).to.equal(0);
    expect(mocks.kitchen.count() + mocks.accounting.count()).to.equal(0);
  });

  it('answers 404 to another consumer exactly as for a missing order, without waiting for the delivery call or reading the restaurant', async () => {
    seed('o-2', 'c-1001');
    mocks.delivery.setLatency(1500);
    const t0 = Date.now();
    const res = await call(`${bff.url}/orders/o-2`, { token: token('c-1002') });
    expect(Date.now() - t0).to.be.below(1000);
    const missing = await call(`${bff.url}/orders/o-none`, { token: token('c-1002') });
    expect(res.status).to.equal(404);
    expect({ ...res.body, requestId: 0 }).to.deep.equal({ ...missing.body, requestId: 0 });
    expect(JSON.stringify(res.body)).not.to.match(/Ajanta|Dana/);
    expect(mocks.restaurant.count()).to.equal(0);
  });

  it('answers eta null, no courier and an _errors entry when the delivery service fails', async () => {
    seed('o-3', 'c-1001');
    mocks.delivery.failNext(3, 'UNAVAILABLE');
    const res = await call(`${bff.url}/orders/o-3`, { token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ orderId: 'o-3', restaurantName: 'Ajanta', eta: null });
    expect(res.body).not.to.have.property('courier');
    expect(res.body._errors).to.deep.equal([{ part: 'delivery', status: 503, title: 'Upstream unavailable' }]);
  });

  it('answers eta null and no courier, without an _errors entry, when the order has no delivery yet (NOT_FOUND)', async () => {
    seed('o-5', 'c-1001');
    mocks.delivery.failNext(1, 'NOT_FOUND');
    const res = await call(`${bff.url}/orders/o-5`, { token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({ orderId: 'o-5', eta: null });
    expect(res.body).not.to.have.property('courier');
    expect(res.body).not.to.have.property('_errors');
  });

  it('trims to ?fields= (a field absent from this answer is still known) and answers 400 for an unknown one without calling a backend', async () => {
    seed('o-4', 'c-1001');
    mocks.delivery.failNext(1, 'INTERNAL');
    const res = await call(`${bff.url}/orders/o-4?fields=state,eta,courier`, { token: token('c-1001') });
    expect(res.body).to.deep.equal({ state: 'APPROVED', eta: null, _errors: [{ part: 'delivery', status: 500, title: 'Upstream failed internally' }] });
    mocks.order.reset();
    const bad = await call(`${bff.url}/orders/o-4?fields=consumerId`, { token: token('c-1001') });
    expect(bad.status).to.equal(400);
    expect(bad.body.type).to.equal('urn:portico:problem:unknown-field');
    expect(mocks.order.count()).to.equal(0);
  });

  it('answers 401 without a token and 403 without orders:read', async () => {
    expect((await call(`${bff.url}/orders/o-1`)).status).to.equal(401);
    expect((await call(`${bff.url}/orders/o-1`, { token: token('c-1001', 'orders:write') })).status).to.equal(403);
  });
});
