import { expect } from 'chai';
import { credentials, loadPackageDefinition, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createLogger, createMetrics } from '@portico/edge';
import { PROTO_JSON_OPTIONS, serveGrpc, type GrpcServing } from '@portico/edge/grpc';
import { DEFAULT_PROTO_PATH, kitchenGrpcService } from '../src/grpc-server';
import { TicketStore } from '../src/ticket-store';

type Unary = (request: object, callback: (err: ServiceError | null, value?: Record<string, unknown>) => void) => void;

describe('kitchen gRPC API (KitchenService over the REST routes’ TicketStore)', () => {
  // The edge around each call is @portico/edge/grpc's to test; here its log lines go nowhere.
  const quiet = { logger: createLogger({ serviceName: 'kitchen', level: 'info' }, { write: () => true }), metrics: createMetrics({ serviceName: 'kitchen', defaultMetrics: false }) };
  const at = new Date('2026-01-01T12:00:00.000Z');
  const store = new TicketStore({ prepMs: 600_000, now: () => at });
  let serving: GrpcServing;
  let client: Client & { GetTicket: Unary };

  before(async () => {
    store.create({ orderId: 'o-1', restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-1', name: 'Soup', quantity: 2 }] });
    store.changeState('o-1', 'PREPARING');
    serving = await serveGrpc({ host: '127.0.0.1', port: 0, ...quiet, services: [kitchenGrpcService(store)] });
    const pkg = loadPackageDefinition(loadSync('portico/kitchen/v1/kitchen.proto', { ...PROTO_JSON_OPTIONS, includeDirs: [DEFAULT_PROTO_PATH] })) as unknown as {
      portico: { kitchen: { v1: { KitchenService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client & { GetTicket: Unary } } } };
    };
    client = new pkg.portico.kitchen.v1.KitchenService(`127.0.0.1:${serving.port}`, credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await serving?.close(1000);
  });

  const getTicket = (orderId: string) =>
    new Promise<{ err: ServiceError | null; value?: Record<string, unknown> }>((resolve) => client.GetTicket({ orderId }, (err, value) => resolve({ err, value })));

  it('answers the ticket the REST API wrote: enum by name, epoch ms as int64 strings', async () => {
    const { err, value } = await getTicket('o-1');
    expect(err).to.equal(null);
    expect(value).to.deep.equal({
      ticketId: 't-o-1',
      orderId: 'o-1',
      restaurantId: 'r-1',
      lineItems: [{ menuItemId: 'm-1', name: 'Soup', quantity: 2 }],
      state: 'PREPARING',
      readyByUnixMs: String(at.getTime() + 600_000),
      updatedAtUnixMs: String(at.getTime()),
    });
  });

  it('answers NOT_FOUND for an unknown order and INVALID_ARGUMENT for an empty id', async () => {
    expect((await getTicket('o-404')).err?.code).to.equal(status.NOT_FOUND);
    expect((await getTicket('')).err?.code).to.equal(status.INVALID_ARGUMENT);
  });
});
