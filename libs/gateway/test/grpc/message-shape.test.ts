import { expect } from 'chai';
import { ProtoRegistry } from '../../src/grpc/proto-registry';
import { conformField, conformMessage, fieldAt, type ShapeProblem } from '../../src/grpc/message-shape';
import { FIXTURE_PROTOS, REPO_PROTOS } from './grpc-harness';

describe('ProtoRegistry and message shapes', () => {
  const registry = new ProtoRegistry(FIXTURE_PROTOS);
  const get = registry.method('portico.test.v1.TicketTestService', 'GetTicket');
  const update = registry.method('portico.test.v1.TicketTestService', 'UpdateTicket');
  const field = (path: string) => fieldAt(update.requestType, path.split('.'));
  const conform = (path: string, value: unknown, source: 'text' | 'json') => {
    const problems: ShapeProblem[] = [];
    const f = fieldAt(get.requestType, path.split('.'));
    if (typeof f === 'string') throw new Error(f);
    return { value: conformField(f, value, source, path, problems), problems };
  };

  it('loads every .proto under the root and reads idempotency from the method options', () => {
    expect(new ProtoRegistry(REPO_PROTOS).services()).to.deep.equal(['portico.delivery.v1.DeliveryService', 'portico.kitchen.v1.KitchenService']);
    expect(get).to.include({ path: '/portico.test.v1.TicketTestService/GetTicket', idempotent: true });
    expect(update.idempotent).to.equal(false);
  });

  it('converts text to the field type: int64 as an exact string, bool, enum by name or number, repeated', () => {
    expect(conform('sinceUnixMs', '9007199254740993', 'text').value).to.equal('9007199254740993');
    expect(conform('verbose', 'false', 'text').value).to.equal(false);
    expect(conform('state', '2', 'text').value).to.equal('PREPARING');
    expect(conform('tags', 'a', 'text').value).to.deep.equal(['a']);
    expect(conform('note.priority', '-7', 'text').value).to.equal(-7);
  });

  it('names what does not fit instead of letting protobufjs coerce it to a default', () => {
    expect(conform('sinceUnixMs', '9223372036854775808', 'text').problems[0]?.message).to.match(/^expected an integer from -9223372036854775808 to 9223372036854775807/);
    expect(conform('sinceUnixMs', 2 ** 53, 'json').problems[0]?.message).to.match(/as a decimal string/);
    expect(conform('verbose', 'yes', 'text').problems[0]?.message).to.equal('expected true or false');
    expect(conform('state', 'COOKING', 'text').problems[0]?.message).to.equal('expected one of TICKET_STATE_UNSPECIFIED, ACCEPTED, PREPARING');
    expect(conform('note.priority', 1.5, 'json').problems[0]?.message).to.equal('expected an integer');
  });

  it('checks nested JSON objects member by member and skips nulls', () => {
    const problems: ShapeProblem[] = [];
    const out = conformMessage(update.requestType, { orderId: 'o', note: { text: 't', mood: 'x' }, lineItems: [{ name: 'a', quantity: '2' }], version: null }, 'body', problems);
    expect(out).to.deep.equal({ orderId: 'o', note: { text: 't' }, lineItems: [{ name: 'a', quantity: 2 }] });
    expect(problems).to.deep.equal([{ field: 'body.note.mood', message: 'unknown field (expected one of text, priority)' }]);
  });

  it('finds nested fields and says why a path has none', () => {
    expect(typeof field('note.text')).to.equal('object');
    expect(field('lineItems.name')).to.equal('"lineItems" is not a single message, so it has no fields');
    expect(field('orderId.x')).to.equal('"orderId" is not a single message, so it has no fields');
  });
});
