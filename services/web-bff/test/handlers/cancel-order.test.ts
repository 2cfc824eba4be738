import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, startFtgoMocks, startWebBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('POST /orders/:orderId/cancel (web-bff cancelOrder)', () => {
  let mocks: FtgoMocks;
  let bff: StartedBff;
  const seed = (orderId: string, consumerId: string, state: string) =>
    mocks.orders.set(orderId, { orderId, consumerId, restaurantId: 'r-1', state, lineItems: [], total: 0, currency: 'USD' });
  before(async () => {
    mocks = await startFtgoMocks();
    bff = await startWebBff(mocks);
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => mocks.order.reset());

  it('cancels the caller’s own order: 200 with the cancelled order', async () => {
    seed('o-a', 'c-1001', 'PREPARING');
    const res = await call(`${bff.url}/orders/o-a/cancel`, { method: 'POST', token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ orderId: 'o-a', state: 'CANCELLED' });
  });

  it('answers 404 for another consumer’s order exactly as for a missing one, never asking to cancel it', async () => {
    seed('o-b', 'c-1001', 'APPROVED');
    const other = await call(`${bff.url}/orders/o-b/cancel`, { method: 'POST', token: token('c-1002') });
    const missing = await call(`${bff.url}/orders/o-none/cancel`, { method: 'POST', token: token('c-1002') });
    expect(other.status).to.equal(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(other.body)).to.deep.equal(strip(missing.body));
    expect(mocks.order.count('POST')).to.equal(0);
    expect(mocks.orders.get('o-b')?.state).to.equal('APPROVED');
  });

  it('passes on the order service’s 409 once the order was picked up', async () => {
    seed('o-c', 'c-1001', 'PICKED_UP');
    const res = await call(`${bff.url}/orders/o-c/cancel`, { method: 'POST', token: token('c-1001') });
    expect(res.status).to.equal(409);
    expect(res.body).to.include({ type: 'urn:portico:problem:conflict', detail: 'an order that is PICKED_UP can no longer be cancelled' });
  });

  it('answers 403 without the orders:write scope', async () => {
    seed('o-d', 'c-1001', 'APPROVED');
    expect((await call(`${bff.url}/orders/o-d/cancel`, { method: 'POST', token: token('c-1001', 'orders:read') })).status).to.equal(403);
    expect(mocks.order.count()).to.equal(0);
  });
});
