/** Kitchen service entry point: config from the environment, then the REST API on PORT and the gRPC API on GRPC_PORT, over one store. */
import { durationSchema, runService } from '@portico/edge';
import { serveGrpc } from '@portico/edge/grpc';
import { z } from 'zod';
import { kitchenRoutes } from './routes';
import { TicketStore } from './ticket-store';
import { DEFAULT_PROTO_PATH, kitchenGrpcService } from './grpc-server';

void runService(
  {
    serviceName: 'kitchen',
    defaults: { PORT: '9004', GRPC_PORT: '9104', KITCHEN_PREP_TIME: '10s', GRPC_PROTO_PATH: DEFAULT_PROTO_PATH },
    extra: { KITCHEN_PREP_TIME: durationSchema, GRPC_PORT: z.coerce.number().int().min(0).max(65535), GRPC_PROTO_PATH: z.string().min(1) },
  },
  async ({ extra, edge, logger, metrics, readiness, onShutdown }) => {
    const store = new TicketStore({ prepMs: extra.KITCHEN_PREP_TIME });
    const grpc = await serveGrpc({ host: edge.service.host, port: extra.GRPC_PORT, logger, metrics, services: [kitchenGrpcService(store, extra.GRPC_PROTO_PATH)] });
    readiness.register('grpc', () => grpc.bound());
    onShutdown('grpc server', () => grpc.close());
    return { router: kitchenRoutes({ prepMs: extra.KITCHEN_PREP_TIME, store }) };
  },
);
