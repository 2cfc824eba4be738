import { expect } from 'chai';
import { composeSpecSchema, dependencyOrder } from '../../src/compose/compose-schema';

const parts = [
  { key: 'order', upstream: 'order', path: '/orders/:orderId', required: true, fields: ['orderId', 'state', 'restaurantId'] },
  { key: 'restaurant', upstream: 'restaurant', path: '/restaurants/{order.restaurantId}', fields: ['id', 'name'] },
  { key: 'delivery', upstream: 'delivery', path: '/deliveries/:orderId', timeout: '800ms' },
];

function messages(input: unknown): string[] {
  const result = composeSpecSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('composeSpecSchema', () => {
  it('accepts parts with request params, references to earlier parts and allow-lists, filling defaults', () => {
    const spec = composeSpecSchema.parse({ parts });
    expect(spec.margin).to.equal(50);
    expect(spec.parts[1]?.required).to.equal(false);
    expect(spec.parts[2]?.timeout).to.equal(800);
  });

  it('orders parts so every dependency comes first', () => {
    const reversed = [parts[1]!, parts[2]!, parts[0]!];
    expect(dependencyOrder(reversed)?.map((p) => p.key)).to.deep.equal(['order', 'restaurant', 'delivery']);
  });

  it('rejects unknown keys (strict)', () => {
    expect(messages({ parts, retries: 3 })).to.have.length(1);
    expect(messages({ parts: [{ ...parts[0], method: 'POST' }] })).to.have.length(1);
  });

  it('rejects a reference to an unknown part', () => {
    expect(messages({ parts: [parts[0], { key: 'x', upstream: 'x', path: '/x/{kitchen.id}' }] })).to.deep.equal(['parts.1.path: unknown part "kitchen" in {kitchen.id}']);
  });

  it('rejects a cycle', () => {
    const cyclic = [
      { key: 'a', upstream: 'a', path: '/a/{b.id}' },
      { key: 'b', upstream: 'b', path: '/b/{a.id}' },
    ];
    expect(messages({ parts: cyclic })).to.deep.equal(['parts: parts depend on each other in a cycle']);
  });

  it('rejects duplicate keys, malformed references and bad paths', () => {
    expect(messages({ parts: [parts[0], parts[0]] })).to.include('parts.1.key: duplicate key "order"');
    expect(messages({ parts: [parts[0], { key: 'r', upstream: 'r', path: '/r/{order}' }] })[0]).to.contain('expected a reference like {order.restaurantId}');
    expect(messages({ parts: [{ key: 'r', upstream: 'r', path: 'r' }] })[0]).to.contain('expected a path beginning with /');
  });
});
