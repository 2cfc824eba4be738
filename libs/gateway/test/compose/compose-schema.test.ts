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

  describe('grpc: parts', () => {
    const ticket = { upstream: '${KITCHEN_GRPC_ADDRESS}', service: 'portico.kitchen.v1.KitchenService', method: 'GetTicket' };

    it('accepts a gRPC part with path, query and earlier-answer sources, ordered after the part it reads', () => {
      const spec = composeSpecSchema.parse({
        parts: [{ key: 'ticket', grpc: { ...ticket, request: { orderId: '{order.orderId}', 'note.text': 'query.note', verbose: ':v' } } }, parts[0]],
      });
      expect(spec.parts[0]?.grpc?.times).to.equal('unix-ms');
      expect(dependencyOrder(spec.parts)?.map((p) => p.key)).to.deep.equal(['order', 'ticket']);
    });

    it('rejects a part with both grpc and upstream/path, or with neither', () => {
      expect(messages({ parts: [{ key: 't', upstream: 'kitchen', path: '/t', grpc: ticket }] })).to.deep.equal(['parts.0.grpc: a part calls either grpc or upstream and path, not both']);
      expect(messages({ parts: [{ key: 't' }] })).to.deep.equal(['parts.0.upstream: expected an upstream name with path, or a grpc block', 'parts.0.path: expected a path with upstream, or a grpc block']);
    });

    it('rejects a literal address, body sources, a whole-body mapping, unknown parts and unknown keys', () => {
      expect(messages({ parts: [{ key: 't', grpc: { ...ticket, upstream: 'kitchen:9104' } }] })[0]).to.contain('expected the address from an environment variable');
      expect(messages({ parts: [{ key: 't', grpc: { ...ticket, request: { orderId: 'body.orderId' } } }] })[0]).to.contain('expected ":param", "query.name" or an earlier part');
      expect(messages({ parts: [{ key: 't', grpc: { ...ticket, request: { '*': 'body' } } }] })[0]).to.match(/^parts\.0\.grpc\.request\.\*: /);
      expect(messages({ parts: [{ key: 't', grpc: { ...ticket, request: { orderId: '{order.orderId}' } } }] })).to.deep.equal(['parts.0.grpc: unknown part "order" in {order.orderId}']);
      expect(messages({ parts: [{ key: 't', grpc: { ...ticket, times: 'local' } }] })[0]).to.match(/^parts\.0\.grpc\.times/);
      expect(messages({ parts: [{ key: 't', grpc: { ...ticket, retries: 1 } }] })).to.have.length(1);
    });

    it('rejects a cycle through gRPC request sources', () => {
      const cyclic = [
        { key: 'a', grpc: { ...ticket, request: { orderId: '{b.id}' } } },
        { key: 'b', upstream: 'b', path: '/b/{a.id}' },
      ];
      expect(messages({ parts: cyclic })).to.deep.equal(['parts: parts depend on each other in a cycle']);
    });
  });
});
