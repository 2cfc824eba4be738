import { expect } from 'chai';
import { orderDetailsView, type OrderParts } from '../../src/views/order-details';
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
      delivery: { deliveryId: 'd', state: 'PENDING', courier: { courierId: 'k-1', name: 'Dana' }, eta: 'e', location: { lat: 1, lng: 2 }, updatedAt: 'u' },
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
});
