import { expect } from 'chai';
import type { Delivery, Order } from '../../src/clients';
import { orderSummary } from '../../src/views/order-summary';
import { orderListItem } from '../../src/views/order-list-item';
import { restaurantCard } from '../../src/views/restaurant-card';

const ORDER: Order = {
  orderId: 'o-1',
  consumerId: 'c-1001',
  restaurantId: 'r-1',
  state: 'PICKED_UP',
  lineItems: [
    { menuItemId: 'm-101', quantity: 2 },
    { menuItemId: 'm-103', quantity: 1 },
  ],
  total: 2850,
  currency: 'USD',
  createdAt: '2030-01-01T12:00:00.000Z',
};
// The gRPC Delivery message: the ETA as epoch milliseconds (2030-01-01T12:30:00Z), an int64 decimal string.
const DELIVERY: Delivery = { state: 'PICKED_UP', etaUnixMs: '1893501000000', courier: { name: 'Dana' }, location: { lat: 37.8, lng: -122.27 } };

describe('orderSummary (mobile view)', () => {
  it('builds the flat phone shape: name, item count, formatted total, eta and courier', () => {
    expect(orderSummary(ORDER, { restaurantId: 'r-1', name: 'Ajanta', cuisine: 'Indian' }, DELIVERY)).to.deep.equal({
      orderId: 'o-1',
      state: 'PICKED_UP',
      restaurantName: 'Ajanta',
      itemCount: 3,
      total: { amount: 28.5, currency: 'USD', display: '$28.50' },
      eta: '2030-01-01T12:30:00.000Z',
      courier: { name: 'Dana', location: { lat: 37.8, lng: -122.27 } },
    });
  });

  it('answers null name and eta and no courier when those parts are missing', () => {
    const summary = orderSummary(ORDER, null, null);
    expect(summary).to.include({ restaurantName: null, eta: null });
    expect(summary).not.to.have.property('courier');
  });

  it('shows no courier for a cancelled delivery', () => {
    expect(orderSummary(ORDER, null, { ...DELIVERY, state: 'CANCELLED' })).not.to.have.property('courier');
  });

  it('shows the courier without a position while the message has none (an unset location is null)', () => {
    expect(orderSummary(ORDER, null, { ...DELIVERY, location: null }).courier).to.deep.equal({ name: 'Dana', location: null });
    expect(orderSummary(ORDER, null, { ...DELIVERY, courier: null })).not.to.have.property('courier');
  });
});

describe('orderListItem and restaurantCard (mobile views)', () => {
  it('maps an order to a row, with the restaurant name only when given', () => {
    expect(orderListItem(ORDER, 'Ajanta')).to.deep.equal({ orderId: 'o-1', state: 'PICKED_UP', restaurantName: 'Ajanta', itemCount: 3, total: { amount: 28.5, currency: 'USD', display: '$28.50' }, placedAt: '2030-01-01T12:00:00.000Z' });
    expect(orderListItem(ORDER)).not.to.have.property('restaurantName');
  });

  it('keeps only id, name and cuisine of a restaurant', () => {
    expect(restaurantCard({ restaurantId: 'r-1', name: 'Ajanta', cuisine: 'Indian', address: {}, openingHours: 'x' } as never)).to.deep.equal({ id: 'r-1', name: 'Ajanta', cuisine: 'Indian' });
  });
});
