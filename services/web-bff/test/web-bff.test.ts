import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@portico/edge';
import type { Bff } from '@portico/gateway';
import { createWebBff } from '../src/web-bff';
import { call, JWT_ENV, startFtgoMocks, token, type FtgoMocks } from './ftgo-mocks';

const TEST_ENV = { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'silent' };

describe('web-bff (createWebBff with the real routes.yaml)', () => {
  let mocks: FtgoMocks;
  let bff: Bff;
  let url: string;
  const seed = (orderId: string, consumerId: string) =>
    mocks.orders.set(orderId, { orderId, consumerId, restaurantId: 'r-1', state: 'APPROVED', lineItems: [], total: 2500, currency: 'USD' });

  before(async () => {
    mocks = await startFtgoMocks();
    bff = await createWebBff({ env: { ...TEST_ENV, ...JWT_ENV, ...mocks.env, CORS_ALLOWED_ORIGINS: 'https://app.example.com' }, watch: false, signals: false });
    const server = await bff.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await bff.close();
    await mocks.stop();
  });
  beforeEach(() => Object.values(mocks).forEach((m) => (m as { reset?: () => void }).reset?.()));

  describe('CORS', () => {
    it('answers a preflight from the configured origin with 204 and the allow headers, without authentication', async () => {
      const res = await fetch(`${url}/orders`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
      expect(res.status).to.equal(204);
      expect(res.headers.get('access-control-allow-origin')).to.equal('https://app.example.com');
      expect(res.headers.get('access-control-allow-headers')).to.contain('Authorization');
      expect(res.headers.get('access-control-allow-methods')).to.contain('POST');
      expect(res.headers.get('access-control-max-age')).to.equal('600');
    });

    it('answers a preflight from another origin (the local default included, once configured away) 403 without CORS headers', async () => {
      const res = await fetch(`${url}/orders`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8080', 'access-control-request-method': 'GET' } });
      expect(res.status).to.equal(403);
      expect(((await res.json()) as { type: string }).type).to.equal('urn:portico:problem:origin-not-allowed');
      expect(res.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('adds the origin to answers and failures (401) so the browser app can read them', async () => {
      const res = await fetch(`${url}/restaurants`, { headers: { origin: 'https://app.example.com' } });
      expect(res.status).to.equal(401);
      expect(res.headers.get('access-control-allow-origin')).to.equal('https://app.example.com');
      expect(res.headers.get('vary')).to.contain('Origin');
    });
  });

  describe('GET /orders/:orderId (declarative composition)', () => {
    it('answers the five parts under their keys for the owner, restaurant fetched with order.restaurantId', async () => {
      seed('o-1', 'c-1001');
      const res = await call(`${url}/orders/o-1`, { token: token('c-1001') });
      expect(res.status).to.equal(200);
      expect(Object.keys(res.body).sort()).to.deep.equal(['bill', 'delivery', 'order', 'restaurant', 'ticket']);
      expect(res.body.order).to.include({ orderId: 'o-1', state: 'APPROVED' });
      expect(res.body.order).not.to.have.property('consumerId');
      expect(res.body.restaurant).to.deep.equal({ restaurantId: 'r-1', name: 'Ajanta', cuisine: 'Indian' });
      // Ticket and delivery come over gRPC, times answered as ISO 8601 as the REST APIs did.
      expect(res.body.ticket).to.include({ ticketId: 't-o-1', orderId: 'o-1', state: 'ACCEPTED', readyBy: '2030-01-01T12:00:00.000Z' });
      expect(res.body.ticket).not.to.have.property('readyByUnixMs');
      expect(res.body.delivery).to.deep.include({ deliveryId: 'd-o-1', eta: '2030-01-01T12:30:00.000Z', courier: { courierId: 'k-1', name: 'Dana' }, location: { lat: 37.8, lng: -122.27 } });
      expect(mocks.kitchen.calls[0]?.request).to.deep.equal({ orderId: 'o-1' });
      expect(mocks.kitchen.calls[0]?.metadata['x-principal-subject']).to.equal('c-1001');
      expect(mocks.delivery.calls[0]?.metadata['x-request-id']).to.equal(res.headers.get('x-request-id'));
      expect(mocks.deliveryEvents.count()).to.equal(0);
    });

    it('answers 404 to another consumer, as for a missing order, without sending any other part', async () => {
      seed('o-2', 'c-1001');
      const res = await call(`${url}/orders/o-2`, { token: token('c-1002') });
      const missing = await call(`${url}/orders/o-nope`, { token: token('c-1002') });
      expect(res.status).to.equal(404);
      expect({ ...res.body, requestId: 0 }).to.deep.equal({ ...missing.body, requestId: 0 });
      expect(JSON.stringify(res.body)).not.to.match(/Ajanta|Dana|AUTHORIZED/);
      expect(mocks.restaurant.count()).to.equal(0);
    });

    it('answers delivery null with an _errors entry when the delivery service fails', async () => {
      seed('o-3', 'c-1001');
      mocks.delivery.failNext(3, 'UNAVAILABLE');
      const res = await call(`${url}/orders/o-3`, { token: token('c-1001') });
      expect(res.status).to.equal(200);
      expect(res.body.delivery).to.equal(null);
      expect(res.body._errors).to.deep.equal([{ part: 'delivery', status: 503, title: 'Upstream unavailable' }]);
      expect(res.body.bill).to.include({ state: 'AUTHORIZED' });
    });

    it('honours ?fields= and answers 400 for an unknown field', async () => {
      seed('o-4', 'c-1001');
      const res = await call(`${url}/orders/o-4?fields=order.state,delivery.eta`, { token: token('c-1001') });
      expect(res.body).to.deep.equal({ order: { state: 'APPROVED' }, delivery: { eta: '2030-01-01T12:30:00.000Z' } });
      expect((await call(`${url}/orders/o-4?fields=order.consumerId`, { token: token('c-1001') })).status).to.equal(400);
    });
  });

  describe('GET /restaurants (proxied, cached)', () => {
    it('streams the restaurant service’s answer and serves the second call from the cache', async () => {
      const first = await call(`${url}/restaurants`, { token: token('c-1001') });
      const second = await call(`${url}/restaurants`, { token: token('c-1002') });
      expect(first.status).to.equal(200);
      expect((first.body.restaurants as unknown[]).length).to.equal(1);
      expect(first.headers.get('x-cache')).to.equal('MISS');
      expect(second.headers.get('x-cache')).to.equal('HIT');
      expect(mocks.restaurant.count('GET', '/restaurants')).to.equal(1);
    });

    it('proxies GET /restaurants/:restaurantId with its menu', async () => {
      const res = await call(`${url}/restaurants/r-1`, { token: token('c-1001') });
      expect(res.status).to.equal(200);
      expect(res.body.menu).to.have.length(1);
    });
  });

  describe('configuration', () => {
    it('refuses a CORS_ALLOWED_ORIGINS entry that is not an origin, naming the variable', async () => {
      const err = await createWebBff({ env: { ...TEST_ENV, ...JWT_ENV, CORS_ALLOWED_ORIGINS: 'https://ok.example,*' }, watch: false, signals: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).problems).to.deep.equal(['CORS_ALLOWED_ORIGINS: "*" is not allowed; list each browser-app origin']);
    });
  });
});
