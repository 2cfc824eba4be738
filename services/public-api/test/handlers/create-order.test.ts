import { expect } from 'chai';
import { backendOrder, send, startPublicApi, type Answer, type PublicApiUnderTest, type SendOptions } from '../support/public-api';
import { openApiContract, type OpenApiContract } from '../support/openapi-contract';

const newOrder = {
  restaurantId: 'r-1',
  lineItems: [{ menuItemId: 'm-101', quantity: 2 }],
  deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' },
};

describe('POST /v1/orders (public-api)', () => {
  let api: PublicApiUnderTest;
  let contract: OpenApiContract;
  const post = async (options: SendOptions): Promise<Answer> => {
    const answer = await send(api.url, 'POST', '/v1/orders', options);
    contract.check(answer);
    return answer;
  };

  before(async () => {
    api = await startPublicApi({
      alice: { owner: 'c-1001', plan: 'standard' },
      reader: { owner: 'c-1001', scopes: ['orders:read'] },
      free: { owner: 'c-1003' },
    });
    contract = openApiContract((await send(api.url, 'GET', '/v1/openapi.json')).body as Record<string, unknown>);
  });
  after(() => api.close());
  beforeEach(() => {
    api.backends.order.reset();
    api.backends.order.on('POST', '/orders', (req) => {
      const sent = JSON.parse(req.body.toString('utf8')) as { consumerId: string };
      return { status: 201, json: { ...backendOrder('o-9', sent.consumerId), internalNote: 'x' } };
    });
  });

  it('forwards the order once with the key owner as consumer and answers 201 with Location', async () => {
    const res = await post({ key: api.keys.alice, body: newOrder });
    expect(res.status).to.equal(201);
    expect(res.headers.location).to.equal('/v1/orders/o-9');
    expect(res.body).to.include({ orderId: 'o-9', consumerId: 'c-1001' }).and.not.have.property('internalNote');
    expect(api.backends.order.requests).to.have.length(1);
    expect(JSON.parse(api.backends.order.requests[0]!.body.toString('utf8'))).to.deep.equal({ consumerId: 'c-1001', ...newOrder });
  });

  it('answers 422 listing each problem for a body that does not match the schema, naming a consumer included, and forwards nothing', async () => {
    const res = await post({ key: api.keys.alice, body: { ...newOrder, consumerId: 'c-1002', lineItems: [{ menuItemId: 'm-101', quantity: 0 }] } });
    expect(res.status).to.equal(422);
    const errors = (res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(errors).to.include('lineItems.0.quantity');
    expect(JSON.stringify(res.body)).to.contain('consumerId');
    expect(res.headers.ratelimit).to.match(/^"create-order";r=\d+;t=\d+$/);
    expect(api.backends.order.requests).to.have.length(0);
  });

  it('answers 400 for malformed JSON and 415 for another media type, forwarding nothing', async () => {
    expect((await post({ key: api.keys.alice, raw: '{"restaurantId":' })).status).to.equal(400);
    expect((await post({ key: api.keys.alice, raw: 'x', headers: { 'content-type': 'text/plain' } })).status).to.equal(415);
    expect(api.backends.order.requests).to.have.length(0);
  });

  it("passes the order service's 422 (unknown menu item) on with its detail", async () => {
    api.backends.order.on('POST', '/orders', { status: 422, json: { type: 'x', title: 'y', status: 422, detail: "lineItems: not on Ajanta's menu: m-999" } });
    const res = await post({ key: api.keys.alice, body: { ...newOrder, lineItems: [{ menuItemId: 'm-999', quantity: 1 }] } });
    expect(res.status).to.equal(422);
    expect(res.body).to.include({ detail: "lineItems: not on Ajanta's menu: m-999", type: 'urn:portico:problem:validation-failed' });
  });

  it('answers 403 insufficient_scope to a key without orders:write', async () => {
    const res = await post({ key: api.keys.reader, body: newOrder });
    expect(res.status).to.equal(403);
    expect(res.headers['www-authenticate']).to.contain('error="insufficient_scope"').and.to.contain('scope="orders:write"');
    expect(api.backends.order.requests).to.have.length(0);
  });

  it('limits a free key to 10 orders a minute: the 11th is 429 with Retry-After and RateLimit headers, not forwarded', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 11; i += 1) answers.push(await post({ key: api.keys.free, body: newOrder }));
    expect(answers.slice(0, 10).map((a) => a.status)).to.deep.equal(Array(10).fill(201));
    const limited = answers[10]!;
    expect(limited.status).to.equal(429);
    // Sliding window: the wait can reach into the next window (at most the rest of this one plus one more).
    expect(Number(limited.headers['retry-after'])).to.be.within(1, 120);
    expect(limited.headers['ratelimit-policy']).to.equal('"create-order";q=10;w=60');
    expect(limited.headers.ratelimit).to.match(/^"create-order";r=0;t=\d+$/);
    expect(api.backends.order.requests).to.have.length(10);
    // The standard-plan key of the same route has its own, larger quota.
    const other = await post({ key: api.keys.alice, body: newOrder });
    expect(other.status).to.equal(201);
    expect(other.headers['ratelimit-policy']).to.equal('"create-order";q=120;w=60');
  });
});
