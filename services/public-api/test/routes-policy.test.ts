import { expect } from 'chai';
import { createServer, type AddressInfo } from 'node:net';
import { backendOrder, send, startPublicApi, type PublicApiUnderTest } from './support/public-api';
import { openApiContract, type OpenApiContract } from './support/openapi-contract';

const newOrder = { restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 1 }], deliveryAddress: { street: 's', city: 'c', zip: 'z' } };

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('routes.yaml quotas while Redis cannot count (public-api)', () => {
  let api: PublicApiUnderTest;
  let contract: OpenApiContract;
  before(async () => {
    // Keys come from the file, so only the quota store is missing: a Redis nobody listens on.
    api = await startPublicApi(
      { alice: { owner: 'c-1001' } },
      { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_KEY_PREFIX: 'portico-test:public-api:' },
    );
    contract = openApiContract((await send(api.url, 'GET', '/v1/openapi.json')).body as Record<string, unknown>);
    api.backends.order.on('GET', '/orders', { json: { orders: [backendOrder('o-1', 'c-1001')] } });
    api.backends.order.on('POST', '/orders', { status: 201, json: backendOrder('o-2', 'c-1001') });
    api.backends.order.on('GET', '/orders/o-1', { json: backendOrder('o-1', 'c-1001') });
    api.backends.order.on('POST', '/orders/o-1/cancel', { json: backendOrder('o-1', 'c-1001', 'CANCELLED') });
  });
  after(() => api.close());

  it('fails create-order closed: 503 with Retry-After and nothing forwarded, so a retry cannot double an order', async () => {
    const res = await send(api.url, 'POST', '/v1/orders', { key: api.keys.alice, body: newOrder });
    contract.check(res);
    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('1');
    expect(res.body).to.include({ type: 'urn:portico:problem:rate-limit-unavailable' });
    expect(api.backends.order.count('POST', '/orders')).to.equal(0);
  });

  it('fails reads and cancel open, under the per-process share of the quota with its headers', async () => {
    const list = await send(api.url, 'GET', '/v1/orders', { key: api.keys.alice });
    contract.check(list);
    expect(list.status).to.equal(200);
    expect(list.headers['ratelimit-policy']).to.equal('"list-orders";q=60;w=60');
    const cancel = await send(api.url, 'POST', '/v1/orders/o-1/cancel', { key: api.keys.alice });
    contract.check(cancel);
    expect(cancel.status).to.equal(200);
  });
});
