/**
 * Delivery gRPC API (proto/portico/delivery/v1/delivery.proto) over the same DeliveryStore as the REST routes: a
 * grpc-js Server beside the HTTP one, bound at start-up and shut down gracefully (tryShutdown, then forceShutdown).
 */
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { join } from 'node:path';
import type { Delivery, DeliveryStore } from './delivery-store';

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

const epochMs = (iso: string): string => String(Date.parse(iso));

/** A Delivery as the proto's message: times as epoch-millisecond int64 decimal strings. */
export function deliveryMessage(d: Delivery): Record<string, unknown> {
  const { eta, updatedAt, ...rest } = d;
  return { ...rest, etaUnixMs: epochMs(eta), updatedAtUnixMs: epochMs(updatedAt) };
}

/** Where the courier of a delivery is. */
export function courierLocationMessage(d: Delivery): Record<string, unknown> {
  return { orderId: d.orderId, state: d.state, location: d.location, etaUnixMs: epochMs(d.eta), updatedAtUnixMs: epochMs(d.updatedAt) };
}

type Handler = (call: ServerUnaryCall<{ orderId: string }, unknown>, callback: sendUnaryData<unknown>) => void;

function byOrder(store: DeliveryStore, toMessage: (d: Delivery) => Record<string, unknown>): Handler {
  return (call, callback) => {
    const orderId = call.request.orderId;
    if (!orderId) return callback({ code: status.INVALID_ARGUMENT, details: 'order_id is required' });
    const delivery = store.get(orderId);
    if (!delivery) return callback({ code: status.NOT_FOUND, details: `no delivery for order ${orderId}` });
    callback(null, toMessage(delivery));
  };
}

/** Starts the DeliveryService on host:port; rejects when the port cannot be bound. */
export async function startDeliveryGrpc(options: { store: DeliveryStore; host: string; port: number; protoPath?: string }): Promise<GrpcServing> {
  const definitions = loadSync('portico/delivery/v1/delivery.proto', { ...PROTO_OPTIONS, includeDirs: [options.protoPath ?? DEFAULT_PROTO_PATH] });
  const server = new Server();
  server.addService(definitions['portico.delivery.v1.DeliveryService'] as ServiceDefinition, {
    GetDelivery: byOrder(options.store, deliveryMessage),
    GetCourierLocation: byOrder(options.store, courierLocationMessage),
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
