import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, startFtgoMocks, startWebBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('GET /orders (web-bff listOrders)', () => {
  let mocks: FtgoMocks;
  let bff: StartedBff;
  before(async () => {
    mocks = await startFtgoMocks();
    bff = await startWebBff(mocks);
    for (const [orderId, consumerId, state] of [['o-1', 'c-1001', 'APPROVED'], ['o-2', 'c-1002', 'APPROVED'], ['o-3', 'c-1001', 'DELIVERED']] as const) {
      mocks.orders.set(orderId, { orderId, consumerId, restaurantId: 'r-1', state, lineItems: [], total: 0, currency: 'USD' });
    }
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => mocks.order.reset());

  it('lists only the principal’s orders, whatever consumerId the query names', async () => {
    const res = await call(`${bff.url}/orders?consumerId=c-1002`, { token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect((res.body.orders as Array<{ orderId: string }>).map((o) => o.orderId)).to.deep.equal(['o-3', 'o-1']);
    expect(mocks.order.requests[0]?.path).to.equal('/orders?consumerId=c-1001');
  });

  it('passes a state filter on and trims with ?fields=', async () => {
    const res = await call(`${bff.url}/orders?state=DELIVERED&fields=orders.orderId,orders.state`, { token: token('c-1001') });
    expect(mocks.order.requests[0]?.path).to.equal('/orders?consumerId=c-1001&state=DELIVERED');
    expect(res.body).to.deep.equal({ orders: [{ orderId: 'o-3', state: 'DELIVERED' }, { orderId: 'o-1', state: 'APPROVED' }] });
  });

  it('answers 400 INVALID_QUERY for a malformed state without calling the order service', async () => {
    const res = await call(`${bff.url}/orders?state=drop%20table`, { token: token('c-1001') });
    expect(res.status).to.equal(400);
    expect(res.body.type).to.equal('urn:portico:problem:invalid-query');
    expect(mocks.order.count()).to.equal(0);
  });

  it('answers 403 without the orders:read scope', async () => {
    expect((await call(`${bff.url}/orders`, { token: token('c-1001', 'orders:write') })).status).to.equal(403);
  });
});
