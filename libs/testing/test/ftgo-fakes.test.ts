import { expect } from 'chai';
import { request } from 'undici';
import { fakeOrderService, fakeRestaurantService, startMockUpstream, type MockUpstream } from '../src';

describe('FTGO fakes (fakeOrderService, fakeRestaurantService)', () => {
  let order: MockUpstream;
  let restaurant: MockUpstream;
  before(async () => {
    [order, restaurant] = await Promise.all([startMockUpstream(), startMockUpstream()]);
  });
  after(async () => {
    await Promise.all([order.stop(), restaurant.stop()]);
  });

  const call = async (url: string, method: 'GET' | 'POST' = 'GET', body?: unknown) => {
    const res = await request(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  it('places, lists per consumer, reads and cancels orders, refusing a cancel after pickup with 409', async () => {
    const orders = fakeOrderService(order);
    const placed = await call(`${order.url}/orders`, 'POST', { consumerId: 'c-1', restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 2 }] });
    expect(placed.status).to.equal(201);
    expect(placed.body).to.include({ orderId: 'o-1', state: 'APPROVED', total: 2500 });
    expect((await call(`${order.url}/orders?consumerId=c-1`)).body.orders).to.have.length(1);
    expect((await call(`${order.url}/orders?consumerId=c-2`)).body.orders).to.deep.equal([]);
    expect((await call(`${order.url}/orders/o-1`)).body.orderId).to.equal('o-1');
    expect((await call(`${order.url}/orders/o-1/cancel`, 'POST')).body.state).to.equal('CANCELLED');
    orders.get('o-1')!.state = 'PICKED_UP';
    const late = await call(`${order.url}/orders/o-1/cancel`, 'POST');
    expect(late.status).to.equal(409);
    expect((await call(`${order.url}/orders/o-9`)).status).to.equal(404);
    expect((await call(`${order.url}/orders`, 'POST', { consumerId: 'c-1', restaurantId: 'r-unknown', lineItems: [] })).status).to.equal(422);
  });

  it('serves one restaurant, r-1, and 404 for any other', async () => {
    fakeRestaurantService(restaurant);
    expect(((await call(`${restaurant.url}/restaurants`)).body.restaurants as unknown[]).length).to.equal(1);
    expect((await call(`${restaurant.url}/restaurants/r-1`)).body.name).to.equal('Ajanta');
    expect((await call(`${restaurant.url}/restaurants/r-2`)).status).to.equal(404);
  });
});
