import { expect } from 'chai';
import { credentials, loadPackageDefinition, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createLogger, createMetrics, MemoryEventBus } from '@portico/edge';
import { PROTO_JSON_OPTIONS, serveGrpc, type GrpcServing } from '@portico/edge/grpc';
import { DEFAULT_PROTO_PATH, deliveryGrpcService } from '../src/grpc-server';
import { DeliveryStore } from '../src/delivery-store';

type Unary = (request: object, callback: (err: ServiceError | null, value?: Record<string, unknown>) => void) => void;
type DeliveryClient = Client & { GetDelivery: Unary; GetCourierLocation: Unary };

describe('delivery gRPC API (DeliveryService over the REST routes’ DeliveryStore)', () => {
  // The edge around each call is @portico/edge/grpc's to test; here its log lines go nowhere.
  const quiet = { logger: createLogger({ serviceName: 'delivery', level: 'info' }, { write: () => true }), metrics: createMetrics({ serviceName: 'delivery', defaultMetrics: false }) };
  const at = new Date('2026-01-01T12:00:00.000Z');
  const bus = new MemoryEventBus();
  const store = new DeliveryStore({ pickupMs: 60_000, travelMs: 30_000, locationEveryMs: 1000, bus, now: () => at });
  let serving: GrpcServing;
  let client: DeliveryClient;

  before(async () => {
    store.create({ orderId: 'o-1', pickupAddress: 'Pizza, 1 Main St', deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' } });
    serving = await serveGrpc({ host: '127.0.0.1', port: 0, ...quiet, services: [deliveryGrpcService(store)] });
    const pkg = loadPackageDefinition(loadSync('portico/delivery/v1/delivery.proto', { ...PROTO_JSON_OPTIONS, includeDirs: [DEFAULT_PROTO_PATH] })) as unknown as {
      portico: { delivery: { v1: { DeliveryService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => DeliveryClient } } };
    };
    client = new pkg.portico.delivery.v1.DeliveryService(`127.0.0.1:${serving.port}`, credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await serving?.close(1000);
    store.stop();
    await bus.close();
  });

  const invoke = (method: 'GetDelivery' | 'GetCourierLocation', orderId: string) =>
    new Promise<{ err: ServiceError | null; value?: Record<string, unknown> }>((resolve) => client[method]({ orderId }, (err, value) => resolve({ err, value })));

  it('answers the delivery and the courier location: state by name, ETA as epoch-ms int64 string', async () => {
    const delivery = await invoke('GetDelivery', 'o-1');
    expect(delivery.err).to.equal(null);
    expect(delivery.value).to.deep.include({ deliveryId: 'd-o-1', orderId: 'o-1', state: 'PENDING', etaUnixMs: String(at.getTime() + 90_000), pickupAddress: 'Pizza, 1 Main St' });
    expect(delivery.value?.courier).to.deep.equal({ courierId: 'k-1', name: 'Dana' });
    const location = await invoke('GetCourierLocation', 'o-1');
    expect(location.value).to.deep.equal({ orderId: 'o-1', state: 'PENDING', location: { lat: 37.8044, lng: -122.2712 }, etaUnixMs: String(at.getTime() + 90_000), updatedAtUnixMs: String(at.getTime()) });
  });

  it('answers NOT_FOUND for an unknown order and INVALID_ARGUMENT for an empty id', async () => {
    expect((await invoke('GetDelivery', 'o-404')).err?.code).to.equal(status.NOT_FOUND);
    expect((await invoke('GetCourierLocation', '')).err?.code).to.equal(status.INVALID_ARGUMENT);
  });
});
