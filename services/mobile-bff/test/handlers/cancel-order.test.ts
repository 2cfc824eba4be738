import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, startFtgoMocks, startMobileBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('POST /orders/:orderId/cancel (mobile-bff cancelOrder)', () => {
  let mocks: FtgoMocks;
  let bff: StartedBff;
  const seed = (orderId: string, consumerId: string, state: string) =>
    mocks.orders.set(orderId, { orderId, consumerId, restaurantId: 'r-1', state, lineItems: [], total: 0, currency: 'USD' });
  before(async () => {
    mocks = await startFtgoMocks();
    bff = await startMobileBff(mocks);
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => mocks.order.reset());

  it('cancels the caller’s order: 200 with the compact cancelled order', async () => {
    seed('o-a', 'c-1001', 'APPROVED');
    const res = await call(`${bff.url}/orders/o-a/cancel`, { method: 'POST', token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ orderId: 'o-a', state: 'CANCELLED', itemCount: 0 });
  });

  it('answers 404 for another consumer’s order and never asks to cancel it', async () => {
    seed('o-b', 'c-1001', 'APPROVED');
    expect((await call(`${bff.url}/orders/o-b/cancel`, { method: 'POST', token: token('c-1002') })).status).to.equal(404);
    expect(mocks.order.count('POST')).to.equal(0);
  });

  it('passes on the order service’s 409 after pickup', async () => {
    seed('o-c', 'c-1001', 'PICKED_UP');
    const res = await call(`${bff.url}/orders/o-c/cancel`, { method: 'POST', token: token('c-1001') });
    expect(res.status).to.equal(409);
    expect(res.body.detail).to.equal('an order that is PICKED_UP can no longer be cancelled');
  });
});
