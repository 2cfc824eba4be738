import { expect } from 'chai';
import { backendOrder, send, startPublicApi, type Answer, type PublicApiUnderTest } from '../support/public-api';
import { openApiContract, type OpenApiContract } from '../support/openapi-contract';

describe('GET /v1/orders (public-api)', () => {
  let api: PublicApiUnderTest;
  let contract: OpenApiContract;
  const get = async (path: string, key?: string): Promise<Answer> => {
    const answer = await send(api.url, 'GET', path, { key });
    contract.check(answer);
    return answer;
  };

  before(async () => {
    api = await startPublicApi({ alice: { owner: 'c-1001' } });
    contract = openApiContract((await send(api.url, 'GET', '/v1/openapi.json')).body as Record<string, unknown>);
    api.backends.order.on('GET', '/orders', () => ({
      json: { orders: [{ ...backendOrder('o-2', 'c-1001', 'PREPARING'), internalNote: 'x' }, backendOrder('o-1', 'c-1001')] },
    }));
  });
  after(() => api.close());
  beforeEach(() => api.backends.order.reset());

  it("asks the order service for the key owner's orders only and answers them in the public shape", async () => {
    const res = await get('/v1/orders?consumerId=c-1002', api.keys.alice);
    expect(res.status).to.equal(200);
    const orders = (res.body as { orders: Array<Record<string, unknown>> }).orders;
    expect(orders.map((o) => o.orderId)).to.deep.equal(['o-2', 'o-1']);
    expect(orders[0]).to.not.have.property('internalNote');
    expect(api.backends.order.requests[0]?.path).to.equal('/orders?consumerId=c-1001');
  });

  it('passes a state filter on, and answers 400 naming the states for an unknown one without calling the backend', async () => {
    await get('/v1/orders?state=PREPARING', api.keys.alice);
    expect(api.backends.order.requests[0]?.path).to.equal('/orders?consumerId=c-1001&state=PREPARING');
    const bad = await get('/v1/orders?state=LOST', api.keys.alice);
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include({ type: 'urn:portico:problem:invalid-query' });
    expect((bad.body as { detail: string }).detail).to.contain('APPROVED, PREPARING');
    expect(api.backends.order.requests).to.have.length(1);
  });

  it('answers 401 with a Bearer challenge without a key, and invalid_token for an unknown or malformed one', async () => {
    const none = await get('/v1/orders');
    expect(none.status).to.equal(401);
    expect(none.headers['www-authenticate']).to.equal('Bearer realm="portico"');
    const unknown = await get('/v1/orders', `pk_${'0'.repeat(16)}_${'A'.repeat(43)}`);
    expect(unknown.status).to.equal(401);
    expect(unknown.headers['www-authenticate']).to.contain('error="invalid_token"');
    const malformed = await get('/v1/orders', 'pk_nonsense');
    expect(malformed.status).to.equal(401);
    expect(api.backends.order.requests).to.have.length(0);
  });
});
