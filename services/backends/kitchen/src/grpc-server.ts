/**
 * Kitchen gRPC API (proto/portico/kitchen/v1/kitchen.proto) over the same TicketStore as the REST routes. Serving it
 * (span, request id, log line, metrics, graceful shutdown) is @portico/edge/grpc's job.
 */
import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { loadProtoService, type GrpcService } from '@portico/edge/grpc';
import { join } from 'node:path';
import type { Ticket, TicketStore } from './ticket-store';

/** Where the repository's .proto files are, from src/ or dist/ alike. */
export const DEFAULT_PROTO_PATH = join(__dirname, '..', '..', '..', '..', 'proto');

const SERVICE = 'portico.kitchen.v1.KitchenService';

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

/** The KitchenService over `store`, for serveGrpc. */
export function kitchenGrpcService(store: TicketStore, protoPath: string = DEFAULT_PROTO_PATH): GrpcService {
  return {
    name: SERVICE,
    definition: loadProtoService('portico/kitchen/v1/kitchen.proto', SERVICE, protoPath),
    handlers: {
      GetTicket(call: ServerUnaryCall<{ orderId: string }, unknown>, callback: sendUnaryData<unknown>) {
        const orderId = call.request.orderId;
        if (!orderId) return callback({ code: status.INVALID_ARGUMENT, details: 'order_id is required' });
        const ticket = store.get(orderId);
        if (!ticket) return callback({ code: status.NOT_FOUND, details: `no ticket for order ${orderId}` });
        callback(null, ticketMessage(ticket));
      },
    },
  };
}
