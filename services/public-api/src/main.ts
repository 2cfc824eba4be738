/**
 * Public API entry point: createBff with the routing map, the handlers and API keys from Redis (REDIS_URL) or
 * API_KEYS_FILE, then listen. Config problems are printed one per line and the process exits 1.
 */
import { join } from 'node:path';
import { exitOnStartupError } from '@portico/edge';
import { createBff, startBff } from '@portico/gateway';
import { GRPC_UPSTREAMS, PROTO_PATH, ServiceBinding, UPSTREAMS } from './clients';
import { publicApiHandlers } from './handlers';

const SERVICE_NAME = 'public-api';

/** Local-development defaults: the port, the sample backends on 127.0.0.1 and kitchen and delivery's gRPC ports; the environment overrides each. */
export const CONFIG_DEFAULTS = Object.freeze({
  PORT: '8083',
  RESTAURANT_SERVICE_URL: 'http://127.0.0.1:9002',
  ORDER_SERVICE_URL: 'http://127.0.0.1:9003',
  ACCOUNTING_SERVICE_URL: 'http://127.0.0.1:9006',
  KITCHEN_GRPC_ADDRESS: '127.0.0.1:9104',
  DELIVERY_GRPC_ADDRESS: '127.0.0.1:9105',
});

async function main(): Promise<void> {
  const binding = new ServiceBinding();
  const bff = await createBff({
    serviceName: SERVICE_NAME,
    routesFile: join(__dirname, '..', 'routes.yaml'),
    configDefaults: { ...CONFIG_DEFAULTS },
    handlers: publicApiHandlers(binding),
    upstreams: UPSTREAMS,
    grpcUpstreams: GRPC_UPSTREAMS,
    protoPath: PROTO_PATH,
    // Keys issued with `npm run apikey` land in Redis when REDIS_URL is set, else in API_KEYS_FILE: read them from the same place.
    apiKeys: 'redis-or-file',
  });
  binding.bind(bff);
  await startBff(bff);
}

main().catch((err: unknown) => exitOnStartupError(SERVICE_NAME, err));
