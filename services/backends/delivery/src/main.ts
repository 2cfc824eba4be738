/** Delivery service entry point: config from the environment, then the REST API on PORT and the gRPC API on GRPC_PORT, over one store. */
import { durationSchema, EventLog, runService } from '@portico/edge';
import { serveGrpc } from '@portico/edge/grpc';
import { z } from 'zod';
import { deliveryRoutes } from './routes';
import { DeliveryStore } from './delivery-store';
import { DEFAULT_PROTO_PATH, deliveryGrpcService } from './grpc-server';

void runService(
  {
    serviceName: 'delivery',
    defaults: { PORT: '9005', GRPC_PORT: '9105', DELIVERY_PICKUP_TIME: '15s', DELIVERY_TRAVEL_TIME: '10s', COURIER_LOCATION_EVERY: '1s', GRPC_PROTO_PATH: DEFAULT_PROTO_PATH },
    extra: {
      DELIVERY_PICKUP_TIME: durationSchema,
      DELIVERY_TRAVEL_TIME: durationSchema,
      COURIER_LOCATION_EVERY: durationSchema,
      GRPC_PORT: z.coerce.number().int().min(0).max(65535),
      GRPC_PROTO_PATH: z.string().min(1),
    },
  },
  async ({ extra, edge, logger, metrics, bus, readiness, onShutdown }) => {
    // The log ends open event streams as soon as shutdown begins, so draining never waits on them.
    const events = new EventLog(bus, { draining: () => readiness.isDraining() });
    onShutdown('event streams', () => events.close());
    const store = new DeliveryStore({ pickupMs: extra.DELIVERY_PICKUP_TIME, travelMs: extra.DELIVERY_TRAVEL_TIME, locationEveryMs: extra.COURIER_LOCATION_EVERY, bus: events });
    onShutdown('courier timers', () => store.stop());
    const grpc = await serveGrpc({ host: edge.service.host, port: extra.GRPC_PORT, logger, metrics, services: [deliveryGrpcService(store, extra.GRPC_PROTO_PATH)] });
    readiness.register('grpc', () => grpc.bound());
    onShutdown('grpc server', () => grpc.close());
    const { router } = deliveryRoutes({ store });
    return { router };
  },
);
