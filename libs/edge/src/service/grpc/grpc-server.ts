/**
 * A service's gRPC API beside its HTTP one: a grpc-js Server whose unary methods all run through edge-unary.ts (span,
 * request id, log line, metrics, fault mapping), bound once at start-up (plaintext, inside the cluster like the HTTP
 * API) and shut down gracefully: calls in flight may finish within the grace period, then the rest are cancelled.
 * The methods themselves and the .proto loading stay the service's.
 */
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { edgeUnary, type GrpcEdgeDeps, type UnaryHandler } from './edge-unary';

/** One service to serve: its definition (from @grpc/proto-loader, or built by hand) and a handler per unary method. */
export interface GrpcService {
  /** The service's full proto name, e.g. `portico.kitchen.v1.KitchenService`; spans, logs and metrics use it. */
  name: string;
  definition: ServiceDefinition;
  handlers: Record<string, UnaryHandler>;
}

/** Where and what to serve. */
export interface ServeGrpcOptions extends GrpcEdgeDeps {
  host: string;
  /** 0 lets the kernel pick one; GrpcServing.port says which. */
  port: number;
  services: GrpcService[];
}

/** A bound gRPC server. */
export interface GrpcServing {
  /** The port bound. */
  port: number;
  /** True from binding until shutdown begins; readiness reports it. */
  bound(): boolean;
  /** Stops accepting, waits up to `graceMs` (default 5 s) for calls in flight, then cancels whatever is left. */
  close(graceMs?: number): Promise<void>;
}

/** Serves `services` on host:port; rejects when a handler is missing or not unary, or when the port cannot be bound. */
export async function serveGrpc(options: ServeGrpcOptions): Promise<GrpcServing> {
  const server = new Server();
  for (const service of options.services) server.addService(service.definition, edgeHandlers(service, options));
  const target = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(new Error(`gRPC server could not bind ${target}: ${err.message}`)) : resolve(bound),
    );
  });
  let bound = true;
  return {
    port,
    bound: () => bound,
    close: (graceMs = 5_000) =>
      new Promise<void>((done) => {
        bound = false;
        const force = setTimeout(() => {
          server.forceShutdown();
          done();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          done();
        });
      }),
  };
}

function edgeHandlers(service: GrpcService, deps: GrpcEdgeDeps): Record<string, UnaryHandler> {
  const wrapped: Record<string, UnaryHandler> = {};
  for (const [method, def] of Object.entries(service.definition)) {
    const handler = service.handlers[method];
    // grpc-js would answer UNIMPLEMENTED for a missing one at call time; a service that forgot one should not start.
    if (!handler) throw new Error(`gRPC service ${service.name}: no handler for ${method}`);
    if (def.requestStream || def.responseStream) throw new Error(`gRPC service ${service.name}: ${method} streams; only unary methods are served`);
    wrapped[method] = edgeUnary(service.name, method, handler, deps);
  }
  for (const method of Object.keys(service.handlers)) {
    if (!(method in service.definition)) throw new Error(`gRPC service ${service.name}: ${method} is not a method of the service`);
  }
  return wrapped;
}
