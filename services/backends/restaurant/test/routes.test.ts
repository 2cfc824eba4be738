import { expect } from 'chai';
import { request } from 'undici';
import { startService, type RunningService } from '@portico/edge';
import { restaurantRoutes } from '../src/routes';

describe('restaurant service', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ serviceName: 'restaurant', defaults: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' } }, () => ({ router: restaurantRoutes() }), {});
  });
  after(() => svc.close());

  it('lists the seeded restaurants without their menus', async () => {
    const res = await request(`${svc.url}/restaurants`);
    const body = (await res.body.json()) as { restaurants: Array<Record<string, unknown>> };
    expect(res.statusCode).to.equal(200);
    expect(body.restaurants.map((r) => r.restaurantId)).to.deep.equal(['r-1', 'r-2', 'r-3']);
    expect(body.restaurants[0]).not.to.have.property('menu');
  });

  it('filters by cuisine, case-insensitively', async () => {
    const body = (await (await request(`${svc.url}/restaurants?cuisine=pizza`)).body.json()) as { restaurants: Array<{ name: string }> };
    expect(body.restaurants.map((r) => r.name)).to.deep.equal(['Bella Napoli']);
  });

  it('answers one restaurant with its menu', async () => {
    const res = await request(`${svc.url}/restaurants/r-2`);
    const body = (await res.body.json()) as { menu: Array<{ menuItemId: string; price: number }> };
    expect(res.statusCode).to.equal(200);
    expect(body.menu.map((m) => m.menuItemId)).to.deep.equal(['m-201', 'm-202', 'm-203']);
    expect(body.menu[0]?.price).to.equal(1400);
  });

  it('answers an unknown id 404 problem+json', async () => {
    const res = await request(`${svc.url}/restaurants/r-404`);
    expect(res.statusCode).to.equal(404);
    expect(res.headers['content-type']).to.equal('application/problem+json');
    expect(await res.body.json()).to.include({ type: 'urn:portico:problem:not-found', detail: 'no restaurant r-404' });
  });

  it('labels metrics with the route template, not the raw path', async () => {
    await (await request(`${svc.url}/restaurants/r-1`)).body.dump();
    const metrics = await (await request(`${svc.url}/metrics`)).body.text();
    expect(metrics).to.match(/http_requests_total\{[^}]*route="\/restaurants\/:restaurantId"/);
    expect(metrics).not.to.match(/route="\/restaurants\/r-1"/);
  });

  it('answers a wrong method 405 problem+json with Allow', async () => {
    const res = await request(`${svc.url}/restaurants/r-1`, { method: 'DELETE' });
    expect(res.statusCode).to.equal(405);
    expect(res.headers.allow).to.equal('HEAD, GET');
    expect(await res.body.json()).to.include({ type: 'urn:portico:problem:method-not-allowed' });
  });

  it('is live and ready', async () => {
    expect((await request(`${svc.url}/livez`)).statusCode).to.equal(200);
    expect((await request(`${svc.url}/readyz`)).statusCode).to.equal(200);
  });
});
