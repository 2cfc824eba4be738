import { expect } from 'chai';
import { deliveryView, orderDetailsView, ticketView, type BackendDelivery, type OrderParts } from '../../src/views/order-details';
import { orderView, type BackendOrder } from '../../src/views/order';
import { backendOrder } from '../support/public-api';

const order = { ...backendOrder('o-1', 'c-1001'), secret: 'internal' } as unknown as BackendOrder;

describe('order views (public-api)', () => {
  it('orderView keeps exactly the documented fields, so a new backend field never becomes public by accident', () => {
    const view = orderView(order);
    expect(Object.keys(view)).to.deep.equal([
      'orderId',
      'consumerId',
      'restaurantId',
      'state',
      'lineItems',
      'deliveryAddress',
      'total',
      'currency',
      'createdAt',
      'updatedAt',
      'history',
    ]);
    expect(view).to.not.have.property('secret');
  });

  it('orderDetailsView maps each part, drops the courier id and adds _errors only when a part failed', () => {
    const parts: OrderParts = {
      order,
      restaurant: {
        restaurantId: 'r-1',
        name: 'Ajanta',
        cuisine: 'Indian',
        address: { street: 's', city: 'c', zip: 'z' },
        menu: [],
      } as unknown as OrderParts['restaurant'],
      ticket: { ticketId: 't', state: 'ACCEPTED', readyBy: 'a', updatedAt: 'b', lineItems: [] } as unknown as OrderParts['ticket'],
      delivery: { deliveryId: 'd', state: 'PENDING', courier: { courierId: 'k-1', name: 'Dana' }, eta: 'e', location: { lat: 1, lng: 2 }, updatedAt: 'u' } as unknown as OrderParts['delivery'],
      bill: { billId: 'b', amount: 1, currency: 'USD', state: 'AUTHORIZED' },
    };
    const full = orderDetailsView(parts);
    expect(full).to.not.have.property('_errors');
    expect(full.restaurant).to.not.have.property('menu');
    expect(full.ticket).to.not.have.property('lineItems');
    expect(full.delivery?.courier).to.deep.equal({ name: 'Dana' });

    const partial = orderDetailsView({ ...parts, delivery: null, _errors: [{ part: 'delivery', status: 504, title: 'Upstream timed out' }] });
    expect(partial.delivery).to.equal(null);
    expect(partial._errors).to.deep.equal([{ part: 'delivery', status: 504, title: 'Upstream timed out' }]);
  });

  it('ticketView and deliveryView turn the gRPC messages into the documented shapes: ISO 8601 times, no ids or extra fields', () => {
    const ticket = { ticketId: 't-1', orderId: 'o-1', restaurantId: 'r-1', lineItems: [], state: 'READY_FOR_PICKUP', readyByUnixMs: '1893499200000', updatedAtUnixMs: '1893498000000' };
    expect(ticketView(ticket)).to.deep.equal({ ticketId: 't-1', state: 'READY_FOR_PICKUP', readyBy: '2030-01-01T12:00:00.000Z', updatedAt: '2030-01-01T11:40:00.000Z' });
    const delivery: BackendDelivery = { deliveryId: 'd-1', state: 'PICKED_UP', courier: { courierId: 'k-1', name: 'Dana' }, etaUnixMs: '1893501000000', location: { lat: 37.8, lng: -122.27 }, updatedAtUnixMs: '1893499200000' };
    expect(deliveryView({ ...delivery, pickupAddress: 'x' } as BackendDelivery)).to.deep.equal({
      deliveryId: 'd-1',
      state: 'PICKED_UP',
      courier: { name: 'Dana' },
      eta: '2030-01-01T12:30:00.000Z',
      location: { lat: 37.8, lng: -122.27 },
      updatedAt: '2030-01-01T12:00:00.000Z',
    });
  });

  it('refuses a message the documented shape cannot be built from as a bad upstream response', () => {
    const delivery: BackendDelivery = { deliveryId: 'd-1', state: 'PENDING', courier: null, etaUnixMs: '1893501000000', location: { lat: 1, lng: 2 }, updatedAtUnixMs: '0' };
    for (const bad of [delivery, { ...delivery, courier: { courierId: 'k', name: 'D' }, location: null }, { ...delivery, courier: { courierId: 'k', name: 'D' }, etaUnixMs: 'soon' }]) {
      expect(() => deliveryView(bad)).to.throw().with.property('code', 'UPSTREAM_BAD_RESPONSE');
    }
  });
});
