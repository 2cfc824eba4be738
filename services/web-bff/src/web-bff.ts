/**
 * Assembles web-bff: its embedded local defaults, CORS for the browser app's origins, the code handlers and the
 * routing map, on createBff. main.ts only calls it and listens; tests call it with their own environment.
 */
import { join } from 'node:path';
import { cors, corsOriginsSchema, loadConfig } from '@portico/edge';
import { createBff, type Bff, type CreateBffOptions } from '@portico/gateway';
import { Backends, UPSTREAMS } from './clients';
import { webHandlers } from './handlers';

/** The service name in logs, metrics and traces. */
export const SERVICE_NAME = 'web-bff';

/** The routing map shipped next to dist/ and src/. */
export const ROUTES_FILE = join(__dirname, '..', 'routes.yaml');

/** The repository's .proto files (kitchen, delivery), from src/ or dist/ alike; GRPC_PROTO_PATH overrides it. */
export const PROTO_PATH = join(__dirname, '..', '..', '..', 'proto');

/** Local-development defaults: port 8082, the backends on their default loopback ports and kitchen and delivery's gRPC ports. */
export const CONFIG_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  PORT: '8082',
  CONSUMER_SERVICE_URL: 'http://127.0.0.1:9001',
  RESTAURANT_SERVICE_URL: 'http://127.0.0.1:9002',
  ORDER_SERVICE_URL: 'http://127.0.0.1:9003',
  DELIVERY_SERVICE_URL: 'http://127.0.0.1:9005',
  ACCOUNTING_SERVICE_URL: 'http://127.0.0.1:9006',
  KITCHEN_GRPC_ADDRESS: '127.0.0.1:9104',
  DELIVERY_GRPC_ADDRESS: '127.0.0.1:9105',
});

/** The browser app's origins when CORS_ALLOWED_ORIGINS is unset outside production (the local web app on :8080). */
export const LOCAL_CORS_ORIGINS = Object.freeze(['http://127.0.0.1:8080', 'http://localhost:8080']);

/** web-bff's own variables: CORS_ALLOWED_ORIGINS, a comma-separated list of browser-app origins. */
export const CONFIG_EXTRA = { CORS_ALLOWED_ORIGINS: corsOriginsSchema.optional() };

/** What a caller of createWebBff may set; the rest is createBff's defaults. */
export type WebBffOptions = Pick<CreateBffOptions, 'env' | 'logDestination' | 'watch' | 'signals'>;

/** Builds web-bff (not listening yet); a bad environment or routing map throws ConfigError with one line per problem. */
export async function createWebBff(options: WebBffOptions = {}): Promise<Bff> {
  const env = options.env ?? process.env;
  // The origins are needed before createBff (the cors middleware is one of its options), so read them first;
  // in production an unset list allows no browser origin at all rather than the local ones.
  const { edge, extra } = loadConfig({ serviceName: SERVICE_NAME, defaults: { ...CONFIG_DEFAULTS }, extra: CONFIG_EXTRA }, env);
  const origins = extra.CORS_ALLOWED_ORIGINS ?? (edge.service.env === 'production' ? [] : LOCAL_CORS_ORIGINS);
  const backends = new Backends();
  const bff = await createBff({
    ...options,
    serviceName: SERVICE_NAME,
    routesFile: ROUTES_FILE,
    env,
    configDefaults: { ...CONFIG_DEFAULTS },
    configExtra: CONFIG_EXTRA,
    upstreams: UPSTREAMS,
    protoPath: PROTO_PATH,
    handlers: webHandlers(backends),
    cors: cors({ origins, credentials: false }),
  });
  try {
    backends.bind(bff.upstreams);
  } catch (err) {
    await bff.close();
    throw err;
  }
  return bff;
}
