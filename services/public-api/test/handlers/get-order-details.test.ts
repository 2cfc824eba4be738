import { expect } from 'chai';
import { grpcStatus } from '@portico/testing';
import { backendOrder, send, startPublicApi, type Answer, type PublicApiUnderTest } from '../support/public-api';
import { openApiContract, type OpenApiContract } from '../support/openapi-contract';

// The kitchen's and delivery's gRPC messages: times as int64 epoch milliseconds in decimal strings.
const ms = (iso: string) => String(Date.parse(iso));
const ticket = {
  ticketId: 't-o-1',
  orderId: 'o-1',
  restaurantId: 'r-1',
  lineItems: [],
  state: 'PREPARING',
  readyByUnixMs: ms('2025-01-01T12:20:00.000Z'),
  updatedAtUnixMs: ms('2025-01-01T12:01:00.000Z'),
};
const delivery = {
  deliveryId: 'd-o-1',
  orderId: 'o-1',
  state: 'PENDING',
  courier: { courierId: 'k-1', name: 'Dana' },
  pickupAddress: 'Ajanta',
  deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' },
  etaUnixMs: ms('2025-01-01T12:40:00.000Z'),
  location: { lat: 37.8, lng: -122.27 },
  updatedAtUnixMs: ms('2025-01-01T12:00:00.000Z'),
};
const bill = {
  billId: 'b-o-1',
  orderId: 'o-1',
  consumerId: 'c-1001',
  amount: 2500,
  currency: 'USD',
  state: 'AUTHORIZED',
  createdAt: '2025-01-01T12:00:00.000Z',
};
const restaurant = {
  restaurantId: 'r-1',
  name: 'Ajanta',
  cuisine: 'Indian',
  address: { street: '1 Curry Lane', city: 'Oakland', zip: '94611' },
  currency: 'USD',
  openingHours: '11-22',
  menu: [],
};

describe('GET /v1/orders/:orderId (public-api)', function () {
  this.timeout(15_000);
  let api: PublicApiUnderTest;
  let contract: OpenApiContract;
  const get = async (path: string, key: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const answer = await send(api.url, 'GET', path, { key, headers });
    contract.check(answer);
    return answer;
  };

  before(async () => {
    api = await startPublicApi({
      alice: { owner: 'c-1001' },
      bob: { owner: 'c-1002', plan: 'partner' },
      writer: { owner: 'c-1001', scopes: ['orders:write'] },
    });
    contract = openApiContract((await send(api.url, 'GET', '/v1/openapi.json')).body as Record<string, unknown>);
  });
  after(() => api.close());
  beforeEach(() => {
    const { order, accounting, restaurant: r } = api.backends;
    order.on('GET', '/orders/o-1', { json: backendOrder('o-1', 'c-1001') });
    api.grpc.kitchen.on('GetTicket', ticket);
    api.grpc.delivery.on('GetDelivery', delivery);
    accounting.on('GET', '/bills/o-1', { json: bill });
    r.on('GET', '/restaurants/r-1', { json: restaurant });
    for (const mock of [...Object.values(api.backends), ...Object.values(api.grpc)]) mock.reset();
  });

  it('answers the full detail from five backends, in the documented shape, with an ETag', async () => {
    const res = await get('/v1/orders/o-1', api.keys.alice!);
    expect(res.status).to.equal(200);
    const body = res.body as Record<string, Record<string, unknown>>;
    expect(Object.keys(body)).to.deep.equal(['order', 'restaurant', 'ticket', 'delivery', 'bill']);
    expect(body.order).to.include({ orderId: 'o-1', state: 'APPROVED', total: 2500 });
    expect(body.restaurant).to.deep.equal({ restaurantId: 'r-1', name: 'Ajanta', cuisine: 'Indian', address: restaurant.address });
    // The documented shape as before the backends spoke gRPC: ISO 8601 times, the courier's name only.
    expect(body.ticket).to.deep.equal({ ticketId: 't-o-1', state: 'PREPARING', readyBy: '2025-01-01T12:20:00.000Z', updatedAt: '2025-01-01T12:01:00.000Z' });
    expect(body.delivery).to.deep.equal({
      deliveryId: 'd-o-1',
      state: 'PENDING',
      courier: { name: 'Dana' },
      eta: '2025-01-01T12:40:00.000Z',
      location: { lat: 37.8, lng: -122.27 },
      updatedAt: '2025-01-01T12:00:00.000Z',
    });
    expect(res.headers.etag).to.match(/^W\/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/);
    expect(res.headers['cache-control']).to.equal('private, no-cache');
    expect(res.headers['ratelimit-policy']).to.equal('"get-order-details";q=60;w=60');
    for (const mock of Object.values(api.backends)) expect(mock.requests).to.have.length(1);
    expect(api.grpc.kitchen.calls.map((c) => c.request)).to.deep.equal([{ orderId: 'o-1' }]);
    expect(api.grpc.delivery.calls.map((c) => c.request)).to.deep.equal([{ orderId: 'o-1' }]);
    expect(api.backends.order.requests[0]?.headers['x-request-id']).to.equal(res.headers['x-request-id']);
    expect(api.grpc.kitchen.calls[0]?.metadata['x-request-id']).to.equal(res.headers['x-request-id']);
  });

  it('answers 304 without a body to If-None-Match with the current ETag, and 200 again once the order changed', async () => {
    const first = await get('/v1/orders/o-1', api.keys.alice!);
    const etag = String(first.headers.etag);
    const same = await get('/v1/orders/o-1', api.keys.alice!, { 'if-none-match': etag });
    expect(same.status).to.equal(304);
    expect(same.body).to.equal(undefined);
    expect(same.headers.etag).to.equal(etag);
    expect(same.headers.ratelimit).to.match(/^"get-order-details";r=\d+;t=\d+$/);
    // Weak comparison: the validator without its W/, in a list, matches too.
    expect((await get('/v1/orders/o-1', api.keys.alice!, { 'if-none-match': `"other", ${etag.slice(2)}` })).status).to.equal(304);

    api.backends.order.on('GET', '/orders/o-1', { json: backendOrder('o-1', 'c-1001', 'PREPARING') });
    const changed = await get('/v1/orders/o-1', api.keys.alice!, { 'if-none-match': etag });
    expect(changed.status).to.equal(200);
    expect((changed.body as { order: { state: string } }).order.state).to.equal('PREPARING');
    expect(changed.headers.etag).to.not.equal(etag);
  });

  it('answers delivery: null with an _errors entry, and no ETag, when the delivery service fails', async () => {
    api.grpc.delivery.failNext(3, 'UNAVAILABLE');
    const res = await get('/v1/orders/o-1', api.keys.alice!);
    expect(res.status).to.equal(200);
    const body = res.body as Record<string, unknown>;
    expect(body.delivery).to.equal(null);
    expect(body._errors).to.deep.equal([{ part: 'delivery', status: 503, title: 'Upstream unavailable' }]);
    expect(body.bill).to.not.equal(null);
    expect(res.headers.etag).to.equal(undefined);
  });

  it('answers ticket: null without an _errors entry when the order has no ticket yet (NOT_FOUND)', async () => {
    api.grpc.kitchen.on('GetTicket', () => {
      throw grpcStatus('NOT_FOUND', 'no ticket');
    });
    const res = await get('/v1/orders/o-1', api.keys.alice!);
    expect(res.status).to.equal(200);
    expect((res.body as Record<string, unknown>).ticket).to.equal(null);
    expect(res.body).to.not.have.property('_errors');
  });

  it('fails only the delivery part (502) when its message cannot fill the documented shape', async () => {
    api.grpc.delivery.on('GetDelivery', { ...delivery, courier: null, etaUnixMs: '9223372036854775807' });
    const res = await get('/v1/orders/o-1', api.keys.alice!);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({ delivery: null, _errors: [{ part: 'delivery', status: 502, title: 'Upstream sent an invalid response' }] });
    expect((res.body as Record<string, unknown>).ticket).to.not.equal(null);
  });

  it("answers 404 for another consumer's order, exactly as for a missing one, and never asks the restaurant", async () => {
    const foreign = await get('/v1/orders/o-1', api.keys.bob!);
    expect(foreign.status).to.equal(404);
    expect(foreign.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(JSON.stringify(foreign.body)).to.not.contain('c-1001');
    expect(api.backends.restaurant.requests).to.have.length(0);
    const missing = await get('/v1/orders/o-404', api.keys.bob!);
    expect(missing.status).to.equal(404);
    const strip = (b: unknown) => ({ ...(b as Record<string, unknown>), requestId: undefined });
    expect(strip(foreign.body)).to.deep.equal(strip(missing.body));
  });

  it('answers 502 when the order service itself fails (the order is required)', async () => {
    api.backends.order.failNext(3, 'status500');
    const res = await get('/v1/orders/o-1', api.keys.alice!);
    expect(res.status).to.equal(502);
    expect(res.body).to.include({ type: 'urn:portico:problem:upstream-error' });
  });

  it('answers 403 insufficient_scope to a key without orders:read, before any backend call', async () => {
    const res = await get('/v1/orders/o-1', api.keys.writer!);
    expect(res.status).to.equal(403);
    expect(res.headers['www-authenticate']).to.contain('error="insufficient_scope"').and.to.contain('scope="orders:read"');
    expect(api.backends.order.requests).to.have.length(0);
  });

  it('accepts the key as Authorization: Bearer too', async () => {
    const res = await send(api.url, 'GET', '/v1/orders/o-1', { key: api.keys.alice!, bearer: true });
    contract.check(res);
    expect(res.status).to.equal(200);
  });
});
