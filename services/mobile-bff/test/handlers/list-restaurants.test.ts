import { expect } from 'chai';
import type { StartedBff } from '@portico/testing';
import { call, startFtgoMocks, startMobileBff, token, type FtgoMocks } from '../ftgo-mocks';

describe('GET /restaurants (mobile-bff listRestaurants)', () => {
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
  beforeEach(() => mocks.restaurant.reset());

  it('answers restaurant cards (id, name, cuisine) and serves the next caller from the cache', async () => {
    const first = await call(`${bff.url}/restaurants?cuisine=Indian`, { token: token('c-1001') });
    const second = await call(`${bff.url}/restaurants?cuisine=Indian`, { token: token('c-1002') });
    expect(first.status).to.equal(200);
    expect(first.body).to.deep.equal({ restaurants: [{ id: 'r-1', name: 'Ajanta', cuisine: 'Indian' }] });
    expect(second.body).to.deep.equal(first.body);
    expect(second.headers.get('x-cache')).to.equal('HIT');
    expect(mocks.restaurant.requests.map((r) => r.path)).to.deep.equal(['/restaurants?cuisine=Indian']);
  });

  it('keys the cache on ?fields=, so a trimmed answer is never served untrimmed', async () => {
    const trimmed = await call(`${bff.url}/restaurants?fields=restaurants.name`, { token: token('c-1001') });
    const full = await call(`${bff.url}/restaurants`, { token: token('c-1001') });
    expect(trimmed.body).to.deep.equal({ restaurants: [{ name: 'Ajanta' }] });
    expect(full.body).to.deep.equal({ restaurants: [{ id: 'r-1', name: 'Ajanta', cuisine: 'Indian' }] });
  });

  it('proxies GET /restaurants/:restaurantId with its menu', async () => {
    const res = await call(`${bff.url}/restaurants/r-1`, { token: token('c-1001') });
    expect(res.status).to.equal(200);
    expect(res.body.menu).to.have.length(1);
  });

  it('answers 401 without a token and 400 for a malformed cuisine', async () => {
    expect((await call(`${bff.url}/restaurants`)).status).to.equal(401);
    expect((await call(`${bff.url}/restaurants?cuisine=%3Cscript%3E`, { token: token('c-1001') })).status).to.equal(400);
  });
});
