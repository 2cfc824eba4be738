import { expect } from 'chai';
import { backendOrder, send, startPublicApi, type Answer, type PublicApiUnderTest } from '../support/public-api';
import { openApiContract, type OpenApiContract } from '../support/openapi-contract';

describe('POST /v1/orders/:orderId/cancel (public-api)', () => {
  let api: PublicApiUnderTest;
  let contract: OpenApiContract;
  const cancel = async (orderId: string, key: string): Promise<Answer> => {
    const answer = await send(api.url, 'POST', `/v1/orders/${orderId}/cancel`, { key });
    contract.check(answer);
    return answer;
  };

  before(async () => {
    api = await startPublicApi({ alice: { owner: 'c-1001' }, bob: { owner: 'c-1002' } });
    contract = openApiContract((await send(api.url, 'GET', '/v1/openapi.json')).body as Record<string, unknown>);
  });
  after(() => api.close());
  beforeEach(() => {
    api.backends.order.reset();
    api.backends.order.on('GET', '/orders/o-1', { json: backendOrder('o-1', 'c-1001') });
    api.backends.order.on('POST', '/orders/o-1/cancel', { json: backendOrder('o-1', 'c-1001', 'CANCELLED') });
  });

  it("cancels the key owner's order after checking it is theirs", async () => {
    const res = await cancel('o-1', api.keys.alice!);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ orderId: 'o-1', state: 'CANCELLED' });
    expect(api.backends.order.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /orders/o-1', 'POST /orders/o-1/cancel']);
  });

  it("answers 404 for another consumer's order and never sends the cancel", async () => {
    const res = await cancel('o-1', api.keys.bob!);
    expect(res.status).to.equal(404);
    expect(api.backends.order.count('POST')).to.equal(0);
    expect((await cancel('o-404', api.keys.alice!)).status).to.equal(404);
  });

  it("passes the order service's 409 (already picked up) on with its detail", async () => {
    api.backends.order.on('POST', '/orders/o-1/cancel', {
      status: 409,
      json: { status: 409, detail: 'an order that is PICKED_UP can no longer be cancelled' },
    });
    const res = await cancel('o-1', api.keys.alice!);
    expect(res.status).to.equal(409);
    expect(res.body).to.include({ type: 'urn:portico:problem:conflict', detail: 'an order that is PICKED_UP can no longer be cancelled' });
  });
});
