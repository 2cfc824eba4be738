/** The mock gRPC backend answers as scripted over a real grpc-js connection, records what it received, fails as injected and goes down and up. */
import { expect } from 'chai';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, status, type Client, type GrpcObject, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { ProtoRegistry } from '@portico/gateway';
import { grpcStatus, startMockGrpc, type MockGrpc } from '../src/mock-grpc';

const PROTOS = join(__dirname, '..', '..', '..', 'proto');
const KITCHEN = 'portico.kitchen.v1.KitchenService';
const DELIVERY = 'portico.delivery.v1.DeliveryService';

type Unary = (request: object, metadata: Metadata, options: { deadline: number }, callback: (err: ServiceError | null, reply?: Record<string, unknown>) => void) => void;

function constructorOf(service: string): ServiceClientConstructor {
  const root = loadPackageDefinition(new ProtoRegistry(PROTOS).definitions);
  return service.split('.').reduce<unknown>((at, name) => (at as GrpcObject)[name], root) as ServiceClientConstructor;
}

function unary(client: Client, method: string, request: object, metadata = new Metadata()): Promise<Record<string, unknown>> {
  const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
  return new Promise((resolve, reject) => fn(request, metadata, { deadline: Date.now() + 2000 }, (err, reply) => (err ? reject(err) : resolve(reply ?? {}))));
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('startMockGrpc', function () {
  this.timeout(10_000);
  let mock: MockGrpc;
  let kitchen: Client;
  let delivery: Client;

  beforeEach(async () => {
    mock = await startMockGrpc(PROTOS, {
      [KITCHEN]: { GetTicket: (req) => ({ ticketId: `t-${String(req.orderId)}`, orderId: req.orderId, readyByUnixMs: '1893499200000' }) },
      [DELIVERY]: { GetDelivery: { deliveryId: 'd-1', state: 'PENDING' } },
    });
    kitchen = new (constructorOf(KITCHEN))(mock.address, credentials.createInsecure());
    delivery = new (constructorOf(DELIVERY))(mock.address, credentials.createInsecure());
  });
  afterEach(async () => {
    kitchen.close();
    delivery.close();
    await mock.stop();
  });

  it('serves each named service on 127.0.0.1 with handler and fixed answers in the JSON convention, recording each call', async () => {
    expect(mock.address).to.equal(`127.0.0.1:${mock.port}`);
    const metadata = new Metadata();
    metadata.set('x-request-id', 'req-1');
    const ticket = await unary(kitchen, 'GetTicket', { orderId: 'o-1' }, metadata);
    expect(ticket).to.deep.include({ ticketId: 't-o-1', orderId: 'o-1', readyByUnixMs: '1893499200000', state: 'TICKET_STATE_UNSPECIFIED', lineItems: [] });
    expect(await unary(delivery, 'GetDelivery', { orderId: 'o-1' })).to.deep.include({ deliveryId: 'd-1', state: 'PENDING', courier: null });
    expect(mock.calls[0]).to.deep.include({ service: KITCHEN, method: 'GetTicket', request: { orderId: 'o-1' } });
    expect(mock.calls[0]?.metadata['x-request-id']).to.equal('req-1');
    expect(mock.calls[0]!.deadline - Date.now()).to.be.within(0, 2000);
    expect(mock.count()).to.equal(2);
    expect(mock.count('GetTicket')).to.equal(1);
  });

  it('answers a status a handler throws, UNIMPLEMENTED for an unscripted method, and lets the latest on() win', async () => {
    mock.on('GetTicket', () => {
      throw grpcStatus('NOT_FOUND', 'no ticket');
    });
    const missing = await failure(unary(kitchen, 'GetTicket', { orderId: 'o-2' }));
    expect([missing.code, missing.details]).to.deep.equal([status.NOT_FOUND, 'no ticket']);
    expect((await failure(unary(delivery, 'GetCourierLocation', { orderId: 'o-2' }))).code).to.equal(status.UNIMPLEMENTED);
    mock.on(`${DELIVERY}/GetCourierLocation`, { orderId: 'o-2', state: 'PICKED_UP' });
    expect(await unary(delivery, 'GetCourierLocation', { orderId: 'o-2' })).to.deep.include({ state: 'PICKED_UP' });
    expect(() => mock.on('GetBill', {})).to.throw(/no served service has a method "GetBill"/);
  });

  it('fails the next calls as injected, delays answers by the latency, and forgets both on reset', async () => {
    mock.failNext(2, 'INTERNAL');
    mock.failNext(1, status.INTERNAL);
    for (let i = 0; i < 3; i++) expect((await failure(unary(kitchen, 'GetTicket', { orderId: 'o-3' }))).code).to.equal(status.INTERNAL);
    expect(await unary(kitchen, 'GetTicket', { orderId: 'o-3' })).to.deep.include({ orderId: 'o-3' });
    mock.setLatency(200);
    const t0 = Date.now();
    await unary(kitchen, 'GetTicket', { orderId: 'o-3' });
    expect(Date.now() - t0).to.be.at.least(190);
    mock.failNext(1);
    mock.reset();
    expect(mock.calls).to.have.length(0);
    const t1 = Date.now();
    await unary(kitchen, 'GetTicket', { orderId: 'o-3' });
    expect(Date.now() - t1).to.be.below(190);
  });

  it('goes down (UNAVAILABLE) on stop and serves again on the same port after restart', async () => {
    const port = mock.port;
    await mock.stop();
    expect((await failure(unary(kitchen, 'GetTicket', { orderId: 'o-4' }))).code).to.equal(status.UNAVAILABLE);
    await mock.restart();
    expect(mock.port).to.equal(port);
    // The client's channel reconnects with its own backoff (grpc-js: 1 s at first).
    let reply: Record<string, unknown> | undefined;
    for (const until = Date.now() + 5000; !reply && Date.now() < until; ) {
      reply = await unary(kitchen, 'GetTicket', { orderId: 'o-4' }).catch(() => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)));
    }
    expect(reply).to.deep.include({ orderId: 'o-4' });
  });

  it('refuses at start a service or method the protos do not have', async () => {
    const err = await startMockGrpc(PROTOS, { [KITCHEN]: { GetTickets: {} } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.contain('has no method "GetTickets"');
  });
});
