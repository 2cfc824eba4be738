/**
 * Delivery gRPC API (proto/portico/delivery/v1/delivery.proto) over the same DeliveryStore as the REST routes. Serving
 * it (span, request id, log line, metrics, graceful shutdown) is @portico/edge/grpc's job.
 */
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { loadProtoService, type GrpcService } from '@portico/edge/grpc';
import { join } from 'node:path';
import type { Delivery, DeliveryStore } from './delivery-store';

/** Where the repository's .proto files are, from src/ or dist/ alike. */
export const DEFAULT_PROTO_PATH = join(__dirname, '..', '..', '..', '..', 'proto');

const SERVICE = 'portico.delivery.v1.DeliveryService';

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

/** The DeliveryService over `store`, for serveGrpc. */
export function deliveryGrpcService(store: DeliveryStore, protoPath: string = DEFAULT_PROTO_PATH): GrpcService {
  return {
    name: SERVICE,
    definition: loadProtoService('portico/delivery/v1/delivery.proto', SERVICE, protoPath),
    handlers: { GetDelivery: byOrder(store, deliveryMessage), GetCourierLocation: byOrder(store, courierLocationMessage) },
  };
}
