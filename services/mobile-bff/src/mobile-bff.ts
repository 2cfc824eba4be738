/**
 * Assembles mobile-bff: its embedded local defaults, the code handlers and the routing map, on createBff. main.ts
 * only calls it and listens; tests call it with their own environment.
 */
import { join } from 'node:path';
import { createBff, type Bff, type CreateBffOptions } from '@portico/gateway';
import { Backends, GRPC_UPSTREAMS, UPSTREAMS } from './clients';
import { mobileHandlers } from './handlers';

/** The service name in logs, metrics and traces. */
export const SERVICE_NAME = 'mobile-bff';

/** The routing map shipped next to dist/ and src/. */
export const ROUTES_FILE = join(__dirname, '..', 'routes.yaml');

/** The repository's .proto files (delivery), from src/ or dist/ alike; GRPC_PROTO_PATH overrides it. */
export const PROTO_PATH = join(__dirname, '..', '..', '..', 'proto');

/** Local-development defaults: port 8081, the six backends on their default loopback ports and delivery's gRPC port. */
export const CONFIG_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  PORT: '8081',
  CONSUMER_SERVICE_URL: 'http://127.0.0.1:9001',
  RESTAURANT_SERVICE_URL: 'http://127.0.0.1:9002',
  ORDER_SERVICE_URL: 'http://127.0.0.1:9003',
  KITCHEN_SERVICE_URL: 'http://127.0.0.1:9004',
  DELIVERY_SERVICE_URL: 'http://127.0.0.1:9005',
  ACCOUNTING_SERVICE_URL: 'http://127.0.0.1:9006',
  DELIVERY_GRPC_ADDRESS: '127.0.0.1:9105',
});

/** What a caller of createMobileBff may set; the rest is createBff's defaults. */
export type MobileBffOptions = Pick<CreateBffOptions, 'env' | 'logDestination' | 'watch' | 'signals'>;

/** Builds mobile-bff (not listening yet); a bad environment or routing map throws ConfigError with one line per problem. */
export async function createMobileBff(options: MobileBffOptions = {}): Promise<Bff> {
  const backends = new Backends();
  const bff = await createBff({
    ...options,
    serviceName: SERVICE_NAME,
    routesFile: ROUTES_FILE,
    configDefaults: { ...CONFIG_DEFAULTS },
    upstreams: UPSTREAMS,
    grpcUpstreams: GRPC_UPSTREAMS,
    protoPath: PROTO_PATH,
    handlers: mobileHandlers(backends),
  });
  try {
    backends.bind(bff);
  } catch (err) {
    await bff.close();
    throw err;
  }
  return bff;
}
