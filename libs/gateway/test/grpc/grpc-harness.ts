/** Real grpc-js servers on 127.0.0.1 for the gateway's gRPC tests: scripted handlers, every call recorded, stop and restart on the same port. */
import { Server, ServerCredentials, status, type Metadata, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBff, type Bff, type CreateBffOptions } from '../../src/create-bff';
import { PROTO_LOADER_OPTIONS } from '../../src/grpc/proto-registry';

/** The test-only protos (portico.test.v1.TicketTestService). */
export const FIXTURE_PROTOS = join(__dirname, 'fixtures');
/** The repository's protos (kitchen, delivery). */
export const REPO_PROTOS = join(__dirname, '..', '..', '..', '..', 'proto');

/** One call a test server received. */
export interface SeenCall {
  method: string;
  request: Record<string, unknown>;
  metadata: Record<string, string>;
  /** The deadline the server observed, epoch ms (Infinity when none). */
  deadline: number;
  at: number;
}

/** A handler: the response message, or a thrown `{ code, details }` status. */
export type Handler = (request: Record<string, unknown>, call: ServerUnaryCall<Record<string, unknown>, unknown>) => unknown;

/** A running test server. */
export interface TestGrpcServer {
  /** `127.0.0.1:<port>`. */
  address: string;
  seen: SeenCall[];
  /** Stops at once (in-flight calls are cancelled); the port is free afterwards. */
  stop(): Promise<void>;
  /** Starts again on the same port. */
  start(): Promise<void>;
}

/** A status error for a handler to throw. */
export function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(details), { code, details });
}

function metadataObject(metadata: Metadata): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata.getMap()).map(([k, v]) => [k, String(v)]));
}

/** Serves `service` from `file` under `protoRoot` on 127.0.0.1 (port 0, or `port`). */
export async function startGrpcServer(protoRoot: string, file: string, service: string, handlers: Record<string, Handler>, port = 0): Promise<TestGrpcServer> {
  const definitions = loadSync(file, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot] });
  const seen: SeenCall[] = [];
  const implementation = Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      (call: ServerUnaryCall<Record<string, unknown>, unknown>, callback: sendUnaryData<unknown>) => {
        const deadline = call.getDeadline();
        seen.push({ method: name, request: call.request, metadata: metadataObject(call.metadata), deadline: deadline instanceof Date ? deadline.getTime() : Number(deadline), at: Date.now() });
        Promise.resolve()
          .then(() => handler(call.request, call))
          .then(
            (value) => callback(null, value),
            (err: { code?: number; details?: string }) => callback({ code: err.code ?? status.INTERNAL, details: err.details ?? 'failed' }),
          );
      },
    ]),
  );
  let server: Server | undefined;
  let boundPort = port;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = new Server();
      server.addService(definitions[service] as ServiceDefinition, implementation);
      server.bindAsync(`127.0.0.1:${boundPort}`, ServerCredentials.createInsecure(), (err, p) => {
        if (err) return reject(err);
        boundPort = p;
        resolve();
      });
    });
  await start();
  return {
    address: `127.0.0.1:${boundPort}`,
    seen,
    start,
    async stop() {
      server?.forceShutdown();
      server = undefined;
    },
  };
}

/** A BFF built with createBff from inline routes (written to a temp file) with gRPC options startBff does not take. */
export async function startGrpcBff(routes: string, options: Partial<CreateBffOptions> & { env: Record<string, string> }): Promise<{ bff: Bff; url: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-grpc-bff-'));
  const routesFile = join(dir, 'routes.yaml');
  writeFileSync(routesFile, routes);
  const bff = await createBff({ serviceName: 'grpc-test-bff', ...options, routesFile, env: { PORT: '0', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...options.env }, signals: false, watch: false });
  const server = await bff.listen(0, '127.0.0.1');
  const { port } = server.address() as { port: number };
  return {
    bff,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await bff.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 20 ms until it holds, failing after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
