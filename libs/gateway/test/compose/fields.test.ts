import { expect } from 'chai';
import { isEdgeError } from '@portico/edge';
import { selectFields } from '../../src/compose/fields';

const body = {
  order: { orderId: 'o1', state: 'APPROVED', total: 12.5, lineItems: [{ menuItemId: 'm1', quantity: 2, price: 5 }, { menuItemId: 'm2', quantity: 1 }] },
  delivery: { eta: '2030-01-01T12:00:00Z', courier: { name: 'Ann', phone: '555' } },
  bill: null,
  _errors: [{ part: 'bill', status: 504, title: 'Upstream timed out' }],
};

function thrown(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (isEdgeError(err)) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

describe('selectFields', () => {
  it('returns the body unchanged without a fields parameter', () => {
    expect(selectFields(body, undefined)).to.equal(body);
    expect(selectFields(body, '')).to.equal(body);
  });

  it('trims to the dotted paths and always keeps _errors', () => {
    expect(selectFields(body, 'order.state,delivery.eta')).to.deep.equal({ order: { state: 'APPROVED' }, delivery: { eta: '2030-01-01T12:00:00Z' }, _errors: body._errors });
  });

  it('maps arrays element-wise, omitting a field an element lacks', () => {
    expect(selectFields(body, 'order.lineItems.menuItemId,order.lineItems.price')).to.deep.equal({
      order: { lineItems: [{ menuItemId: 'm1', price: 5 }, { menuItemId: 'm2' }] },
      _errors: body._errors,
    });
  });

  it('keeps a whole subtree and a null part', () => {
    expect(selectFields(body, 'delivery.courier,bill.amount')).to.deep.equal({ delivery: { courier: { name: 'Ann', phone: '555' } }, bill: null, _errors: body._errors });
  });

  it('accepts repeated fields parameters', () => {
    expect(selectFields(body, ['order.orderId', 'delivery.eta'])).to.deep.include({ order: { orderId: 'o1' } });
  });

  it('answers 400 UNKNOWN_FIELD naming an unknown top-level, nested or array field', () => {
    for (const [param, name] of [
      ['order.state,payment', 'payment'],
      ['order.colour', 'order.colour'],
      ['order.lineItems.colour', 'order.lineItems.colour'],
      ['order.state.length', 'order.state.length'],
    ]) {
      const err = thrown(() => selectFields(body, param));
      expect(err).to.include({ code: 'UNKNOWN_FIELD', status: 400 });
      expect(err.detail).to.equal(`fields: unknown field "${name}"`);
    }
  });

  it('answers 400 INVALID_QUERY for a malformed path', () => {
    expect(thrown(() => selectFields(body, 'order..state'))).to.include({ code: 'INVALID_QUERY', status: 400 });
    expect(thrown(() => selectFields(body, 'order.__proto__x;drop'))).to.include({ code: 'INVALID_QUERY' });
  });

  it('with a known-field map, accepts an allow-listed field the answer happens to lack and rejects others', () => {
    const known = { order: ['orderId', 'state', 'eta'], delivery: null, bill: null };
    expect(selectFields(body, 'order.eta,order.state', known)).to.deep.equal({ order: { state: 'APPROVED' }, _errors: body._errors });
    expect(thrown(() => selectFields(body, 'order.total', known)).detail).to.equal('fields: unknown field "order.total"');
    expect(thrown(() => selectFields(body, 'kitchen', known)).detail).to.equal('fields: unknown field "kitchen"');
  });
});
