import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, startFtgoMocks, startMobileBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('GET /orders (mobile-bff listOrders)', () => {
  let mocks: FtgoMocks;
  let bff: StartedBff;
  before(async () => {
    mocks = await startFtgoMocks();
    bff = await startMobileBff(mocks);
    for (const [orderId, consumerId] of [['o-1', 'c-1001'], ['o-2', 'c-1002']] as const) {
      mocks.orders.set(orderId, { orderId, consumerId, restaurantId: 'r-1', state: 'APPROVED', lineItems: [{ menuItemId: 'm-101', quantity: 3, name: 'x', price: 100 }], total: 300, currency: 'USD' });
    }
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => {
    mocks.order.reset();
    mocks.restaurant.reset();
  });

  it('lists the principal’s own orders as compact rows with restaurant names', async () => {
    const res = await call(`${bff.url}/orders?consumerId=c-1002&state=APPROVED`, { token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ orders: [{ orderId: 'o-1', state: 'APPROVED', restaurantName: 'Ajanta', itemCount: 3, total: { amount: 3, currency: 'USD', display: '$3.00' }, placedAt: null }] });
    expect(mocks.order.requests[0]?.path).to.equal('/orders?consumerId=c-1001&state=APPROVED');
  });

  it('still lists the orders, names null plus an _errors entry, when the restaurant service fails', async () => {
    mocks.restaurant.failNext(3, 'status500');
    const res = await call(`${bff.url}/orders?fields=orders.orderId,orders.restaurantName`, { token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ orders: [{ orderId: 'o-1', restaurantName: null }], _errors: [{ part: 'restaurants', status: 502, title: 'Upstream failed' }] });
  });

  it('answers 400 INVALID_QUERY for a malformed state without calling a backend', async () => {
    expect((await call(`${bff.url}/orders?state=x;y`, { token: token('c-1001') })).status).to.equal(400);
    expect(mocks.order.count()).to.equal(0);
  });
});
