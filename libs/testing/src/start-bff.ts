/**
 * startBff: a whole BFF (createBff) on 127.0.0.1 and a free port, from a routing map given inline, for tests. The
 * environment is exactly what the test passes (plus test defaults), never the test runner's own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import { createBff, type Bff, type CreateBffOptions } from '@portico/gateway';

/** What startBff needs; everything but `routes` is optional. */
export interface StartBffOptions {
  /** The routing map: YAML text, or an object such as `{ routes: [...] }` (written as JSON, which is YAML). */
  routes: string | Record<string, unknown>;
  /** Environment variables (upstream URLs, JWT settings …); PORT, HOST, NODE_ENV and LOG_LEVEL have test defaults. */
  env?: Record<string, string>;
  /** Code handlers by name. */
  handlers?: Readonly<Record<string, Middleware<EdgeState>>>;
  /** Service name (default `test-bff`). */
  serviceName?: string;
  /** Upstream names → URL variable. */
  upstreams?: Readonly<Record<string, string>>;
  /** gRPC upstream names → address variable (`{ kitchen: 'KITCHEN_GRPC_ADDRESS' }`), for handlers' `bff.grpc.client`. */
  grpcUpstreams?: CreateBffOptions['grpcUpstreams'];
  /** Directory of the .proto files gRPC routes, parts and clients use (GRPC_PROTO_PATH in `env` overrides it). */
  protoPath?: string;
  /** The service's own environment variables. */
  configExtra?: CreateBffOptions['configExtra'];
  /** Where log lines go (default: discarded through LOG_LEVEL=silent). */
  logDestination?: CreateBffOptions['logDestination'];
}

/** A started BFF and how to reach and stop it. */
export interface StartedBff {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  bff: Bff;
  /** The routing-map file; rewrite it to exercise hot reload. */
  routesFile: string;
  /** Stops the BFF and removes the temporary routing map. */
  close(): Promise<void>;
}

const TEST_DEFAULTS = { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'silent' };

/** Writes the routing map to a temporary file, builds the BFF with createBff and listens on 127.0.0.1:0. */
export async function startBff(options: StartBffOptions): Promise<StartedBff> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bff-'));
  const routesFile = join(dir, 'routes.yaml');
  writeFileSync(routesFile, typeof options.routes === 'string' ? options.routes : JSON.stringify(options.routes, null, 2));
  let bff: Bff;
  try {
    bff = await createBff({
      serviceName: options.serviceName ?? 'test-bff',
      routesFile,
      env: { ...TEST_DEFAULTS, ...options.env },
      handlers: options.handlers,
      upstreams: options.upstreams,
      grpcUpstreams: options.grpcUpstreams,
      protoPath: options.protoPath,
      configExtra: options.configExtra,
      logDestination: options.logDestination,
      signals: false,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const server = await bff.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bff,
    routesFile,
    async close() {
      await bff.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
