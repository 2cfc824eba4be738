/**
 * A real gRPC backend on 127.0.0.1 for BFF tests: serves services of a .proto directory with scripted answers, latency
 * and failure injection, recording every call. Protos load through the gateway's ProtoRegistry, so both sides speak
 * Portico's JSON convention (camelCase fields, enums by name, int64 as decimal strings).
 */
import { Server, ServerCredentials, status, type Metadata, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { ProtoRegistry } from '@portico/gateway';

/** One call as the mock received it. */
export interface RecordedGrpcCall {
  /** `portico.kitchen.v1.KitchenService`. */
  service: string;
  /** `GetTicket`. */
  method: string;
  request: Record<string, unknown>;
  /** Metadata as text (`x-request-id`, `x-principal-subject`, `traceparent`…). */
  metadata: Record<string, string>;
  /** The call's deadline, epoch ms (Infinity when the client set none). */
  deadline: number;
}

/** A gRPC status by number or by name (`status.NOT_FOUND` or `'NOT_FOUND'`), so tests need not import grpc-js. */
export type GrpcCode = status | keyof typeof status;

const codeOf = (code: GrpcCode): status => (typeof code === 'string' ? status[code] : code);

/** Answers a call: return the response message, or throw `grpcStatus(code, details)` (anything else thrown is INTERNAL). */
export type MockGrpcHandler = (request: Record<string, unknown>, call: RecordedGrpcCall) => unknown;

/** A method's script: a handler, or the response message itself. */
export type MockGrpcRoute = MockGrpcHandler | Record<string, unknown>;

/** A running mock gRPC backend; see startMockGrpc. */
export interface MockGrpc {
  /** `127.0.0.1:<port>`, what a `*_GRPC_ADDRESS` variable holds. */
  readonly address: string;
  readonly port: number;
  /** Every call received, oldest first, failures included. */
  readonly calls: RecordedGrpcCall[];
  /** Scripts a method by name (`GetTicket`: every served service's; `portico.kitchen.v1.KitchenService/GetTicket`: one); the latest wins. */
  on(method: string, route: MockGrpcRoute): MockGrpc;
  /** Delays every answer, failures included, by `ms`. */
  setLatency(ms: number): void;
  /** The next `n` calls fail with `code` (default UNAVAILABLE). */
  failNext(n: number, code?: GrpcCode, details?: string): void;
  /** Calls received, optionally of one method (`GetTicket`). */
  count(method?: string): number;
  /** Forgets recorded calls, queued failures and latency; scripts stay. */
  reset(): void;
  /** Stops at once (calls in flight are cancelled) and frees the port: a backend that went down. Idempotent. */
  stop(): Promise<void>;
  /** Serves again on the same port: a backend that came back. */
  restart(): Promise<void>;
}

/** The status error a handler throws: `throw grpcStatus('NOT_FOUND', 'no ticket')`. */
export function grpcStatus(code: GrpcCode, details: string): Error & { code: status; details: string } {
  return Object.assign(new Error(details), { code: codeOf(code), details });
}

function metadataText(metadata: Metadata): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata.getMap()).map(([key, value]) => [key, Buffer.isBuffer(value) ? value.toString('base64') : String(value)]));
}

/**
 * Starts a mock gRPC backend on 127.0.0.1 serving each named service of the protos under `protoPath`, e.g.
 * `startMockGrpc(PROTOS, { 'portico.kitchen.v1.KitchenService': { GetTicket: (req) => ({ orderId: req.orderId }) } })`.
 * Unscripted methods of a served service answer UNIMPLEMENTED.
 */
export async function startMockGrpc(protoPath: string, services: Record<string, Record<string, MockGrpcRoute>>, options: { port?: number } = {}): Promise<MockGrpc> {
  const registry = new ProtoRegistry(protoPath);
  const scripts = new Map<string, MockGrpcRoute>();
  const calls: RecordedGrpcCall[] = [];
  const failures: Array<{ code: status; details: string }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let latencyMs = 0;
  let port = options.port ?? 0;
  let server: Server | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function answer(service: string, method: string, call: ServerUnaryCall<Record<string, unknown>, unknown>): Promise<unknown> {
    const deadline = call.getDeadline();
    const recorded: RecordedGrpcCall = { service, method, request: call.request, metadata: metadataText(call.metadata), deadline: deadline instanceof Date ? deadline.getTime() : Number(deadline) };
    calls.push(recorded);
    if (latencyMs > 0) await sleep(latencyMs);
    const failure = failures.shift();
    if (failure) throw grpcStatus(failure.code, failure.details);
    const route = scripts.get(`${service}/${method}`);
    if (route === undefined) throw grpcStatus(status.UNIMPLEMENTED, `${service}/${method} is not scripted`);
    return typeof route === 'function' ? route(call.request, recorded) : route;
  }

  function implementation(service: string): Record<string, (call: ServerUnaryCall<Record<string, unknown>, unknown>, callback: sendUnaryData<unknown>) => void> {
    const definition = registry.definitions[service] as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(definition).map((method) => [
        method,
        (call, callback) => {
          answer(service, method, call).then(
            (value) => callback(null, value),
            (err: { code?: unknown; details?: unknown; message?: string }) =>
              callback({ code: typeof err.code === 'number' ? err.code : status.INTERNAL, details: typeof err.details === 'string' ? err.details : (err.message ?? 'failed') }),
          );
        },
      ]),
    );
  }

  for (const [service, methods] of Object.entries(services)) {
    // Fails here, naming what exists, for a service or method the protos do not have.
    for (const [method, route] of Object.entries(methods)) {
      registry.method(service, method);
      scripts.set(`${service}/${method}`, route);
    }
  }

  async function listen(): Promise<void> {
    const next = new Server();
    for (const service of Object.keys(services)) next.addService(registry.definitions[service] as unknown as ServiceDefinition, implementation(service));
    port = await new Promise<number>((resolve, reject) => next.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
    server = next;
  }

  async function stop(): Promise<void> {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    server?.forceShutdown();
    server = undefined;
  }

  await listen();
  const mock: MockGrpc = {
    get address() {
      return `127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    calls,
    on(method, route) {
      const served = Object.keys(services).filter((service) => Object.prototype.hasOwnProperty.call(registry.definitions[service], method));
      const keys = method.includes('/') ? [method] : served.map((service) => `${service}/${method}`);
      if (keys.length === 0) throw new Error(`no served service has a method "${method}" (served: ${Object.keys(services).join(', ')})`);
      for (const key of keys) scripts.set(key, route);
      return mock;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    failNext(n, code = 'UNAVAILABLE', details = 'injected failure') {
      for (let i = 0; i < n; i++) failures.push({ code: codeOf(code), details });
    },
    count: (method) => (method === undefined ? calls.length : calls.filter((c) => c.method === method || `${c.service}/${c.method}` === method).length),
    reset() {
      calls.length = 0;
      failures.length = 0;
      latencyMs = 0;
    },
    stop,
    async restart() {
      await stop();
      await listen();
    },
  };
  return mock;
}
