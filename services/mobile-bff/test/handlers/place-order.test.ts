import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, NEW_ORDER, startFtgoMocks, startMobileBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('POST /orders (mobile-bff placeOrder)', () => {
  let mocks: FtgoMocks;
  let bff: StartedBff;
  before(async () => {
    mocks = await startFtgoMocks();
    bff = await startMobileBff(mocks);
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => mocks.order.reset());

  it('answers 201 with the compact order and a Location, placed for the principal', async () => {
    const res = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-1001'), body: NEW_ORDER });
    expect(res.status).to.equal(201);
    expect(res.body).to.deep.include({ state: 'APPROVED', itemCount: 2, total: { amount: 25, currency: 'USD', display: '$25.00' } });
    expect(res.headers.get('location')).to.equal(`/orders/${String(res.body.orderId)}`);
    expect(JSON.parse(mocks.order.requests[0]!.body.toString())).to.deep.equal({ consumerId: 'c-1001', ...NEW_ORDER });
  });

  it('answers 422 and forwards nothing when the body names a consumer or misses the address', async () => {
    const { deliveryAddress: _omitted, ...noAddress } = NEW_ORDER;
    for (const bad of [{ ...NEW_ORDER, consumerId: 'c-1002' }, noAddress]) {
      const res = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-1001'), body: bad });
      expect(res.status).to.equal(422);
    }
    expect(mocks.order.count()).to.equal(0);
  });

  it('answers 429 with RateLimit headers and Retry-After on the 11th order within a minute', async () => {
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 11; i++) last = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-burst'), body: {} });
    expect(last!.status).to.equal(429);
    expect(last!.body.type).to.equal('urn:portico:problem:rate-limited');
    expect(last!.headers.get('retry-after')).to.match(/^\d+$/);
    expect(last!.headers.get('ratelimit-policy')).to.equal('"place-order";q=10;w=60');
  });
});
