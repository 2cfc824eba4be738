/**
 * Kitchen gRPC API (proto/portico/kitchen/v1/kitchen.proto) over the same TicketStore as the REST routes: a grpc-js
 * Server beside the HTTP one, bound at start-up and shut down gracefully (tryShutdown, then forceShutdown).
 */
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { join } from 'node:path';
import type { Ticket, TicketStore } from './ticket-store';

/** The JSON convention the gateway uses too (libs/gateway PROTO_LOADER_OPTIONS): camelCase, enums by name, int64 as strings. */
export const PROTO_OPTIONS: Options = { keepCase: false, longs: String, enums: String, bytes: String, defaults: true, oneofs: true, json: true };

/** Where the repository's .proto files are, from src/ or dist/ alike. */
export const DEFAULT_PROTO_PATH = join(__dirname, '..', '..', '..', '..', 'proto');

/** A bound gRPC server. */
export interface GrpcServing {
  /** The port bound (GRPC_PORT, or the one the kernel picked for 0). */
  port: number;
  /** True from binding until shutdown; readiness reports it. */
  bound(): boolean;
  /** Waits up to `graceMs` for calls in flight, then cancels whatever is left. */
  close(graceMs?: number): Promise<void>;
}

/** A Ticket as the proto's message: epoch milliseconds as int64 decimal strings (no precision lost in transit). */
export function ticketMessage(ticket: Ticket): Record<string, unknown> {
  return {
    ticketId: ticket.ticketId,
    orderId: ticket.orderId,
    restaurantId: ticket.restaurantId,
    lineItems: ticket.lineItems,
    state: ticket.state,
    readyByUnixMs: String(Date.parse(ticket.readyBy)),
    updatedAtUnixMs: String(Date.parse(ticket.updatedAt)),
  };
}

/** Starts the KitchenService on host:port; rejects when the port cannot be bound. */
export async function startKitchenGrpc(options: { store: TicketStore; host: string; port: number; protoPath?: string }): Promise<GrpcServing> {
  const definitions = loadSync('portico/kitchen/v1/kitchen.proto', { ...PROTO_OPTIONS, includeDirs: [options.protoPath ?? DEFAULT_PROTO_PATH] });
  const server = new Server();
  server.addService(definitions['portico.kitchen.v1.KitchenService'] as ServiceDefinition, {
    GetTicket(call: ServerUnaryCall<{ orderId: string }, unknown>, callback: sendUnaryData<unknown>) {
      const orderId = call.request.orderId;
      if (!orderId) return callback({ code: status.INVALID_ARGUMENT, details: 'order_id is required' });
      const ticket = options.store.get(orderId);
      if (!ticket) return callback({ code: status.NOT_FOUND, details: `no ticket for order ${orderId}` });
      callback(null, ticketMessage(ticket));
    },
  });
  return bind(server, options.host, options.port);
}

/** Binds a grpc-js server (plaintext, inside the cluster like the HTTP API) and returns its handle. */
export function bind(server: Server, host: string, port: number): Promise<GrpcServing> {
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, boundPort) => {
      if (err) return reject(new Error(`gRPC server could not bind ${target}: ${err.message}`));
      let bound = true;
      resolve({
        port: boundPort,
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
      });
    });
  });
}
