import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, NEW_ORDER, startFtgoMocks, startWebBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('POST /orders (web-bff placeOrder)', () => {
  let mocks: FtgoMocks;
  let bff: StartedBff;
  before(async () => {
    mocks = await startFtgoMocks();
    bff = await startWebBff(mocks);
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => mocks.order.reset());

  it('answers 201 with the order and a Location, placing it for the principal with the body as sent', async () => {
    const res = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-1001'), body: NEW_ORDER });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ consumerId: 'c-1001', restaurantId: 'r-1', state: 'APPROVED', total: 2500 });
    expect(res.headers.get('location')).to.equal(`/orders/${String(res.body.orderId)}`);
    const sent = mocks.order.requests.find((r) => r.method === 'POST');
    expect(JSON.parse(sent!.body.toString())).to.deep.equal({ consumerId: 'c-1001', ...NEW_ORDER });
    expect(sent!.headers['x-principal-subject']).to.equal('c-1001');
  });

  it('answers 422 listing every problem and forwards nothing when the body breaks the schema', async () => {
    const bad = { ...NEW_ORDER, consumerId: 'c-1002', lineItems: [{ menuItemId: 'm-101', quantity: 0 }] };
    const res = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-1001'), body: bad });
    expect(res.status).to.equal(422);
    expect(res.body.type).to.equal('urn:portico:problem:validation-failed');
    const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).to.deep.equal(['(body)', 'lineItems.0.quantity']);
    expect(mocks.order.count('POST', '/orders')).to.equal(0);
  });

  it('answers 400 for malformed JSON and 415 for another media type, forwarding nothing', async () => {
    expect((await call(`${bff.url}/orders`, { method: 'POST', token: token('c-1001'), body: '{"restaurantId":' })).status).to.equal(400);
    const text = await fetch(`${bff.url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${token('c-1001')}`, 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).to.equal(415);
    expect(mocks.order.count('POST', '/orders')).to.equal(0);
  });

  it('keeps the order service’s 422 (unknown restaurant) with its detail, and nothing internal', async () => {
    const res = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-1001'), body: { ...NEW_ORDER, restaurantId: 'r-unknown' } });
    expect(res.status).to.equal(422);
    expect(res.body.detail).to.equal('restaurantId: no restaurant r-unknown');
    expect(JSON.stringify(res.body)).not.to.contain('127.0.0.1');
  });

  it('answers 401 without a token and 403 without the orders:write scope', async () => {
    expect((await call(`${bff.url}/orders`, { method: 'POST', body: NEW_ORDER })).status).to.equal(401);
    const res = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-1001', 'orders:read'), body: NEW_ORDER });
    expect(res.status).to.equal(403);
    expect(mocks.order.count('POST', '/orders')).to.equal(0);
  });

  it('answers 429 with RateLimit headers and Retry-After past 10 orders a minute for one principal, and not for another', async () => {
    const bad = { restaurantId: 'r-1' }; // 422s still count: the limit protects the edge, not only the order service
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 11; i++) {
      last = await call(`${bff.url}/orders`, { method: 'POST', token: token('c-limited'), body: bad });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 422)).to.equal(true);
    expect(statuses[10]).to.equal(429);
    expect(last!.headers.get('retry-after')).to.match(/^\d+$/);
    expect(last!.headers.get('ratelimit-policy')).to.equal('"place-order";q=10;w=60');
    expect(last!.headers.get('ratelimit')).to.match(/^"place-order";r=0;t=\d+$/);
    expect((await call(`${bff.url}/orders`, { method: 'POST', token: token('c-other'), body: bad })).status).to.equal(422);
  });
});
