/**
 * The backends of the grpc-vs-rest suite, in one process on cpu0: the same ticket logic served twice, as JSON over a
 * node:http server (keep-alive) and as portico.kitchen.v1.Ticket over a grpc-js server. Prints READY {httpPort, grpcPort}.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from '../../libs/gateway/src/grpc/proto-registry';

/** The repository's protos. */
export const PROTO_ROOT = join(__dirname, '..', '..', 'proto');

/** The one piece of logic both transports answer with: an order's ticket, about 1 KB as JSON. */
export function ticketFor(orderId: string): Record<string, unknown> {
  return {
    ticketId: `t-${orderId}`,
    orderId,
    restaurantId: 'rest-42',
    lineItems: Array.from({ length: 8 }, (_, i) => ({ menuItemId: `menu-item-${i}`, name: `Item number ${i} with a descriptive name`, quantity: i + 1 })),
    state: 'PREPARING',
    readyByUnixMs: '1767225600000',
    updatedAtUnixMs: '1767225000000',
  };
}

async function main(): Promise<void> {
  const http = createServer((req, res) => {
    req.resume();
    const orderId = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
    const body = JSON.stringify(ticketFor(orderId));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  http.keepAliveTimeout = 5_000;
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');

  const definitions = loadSync('portico/kitchen/v1/kitchen.proto', { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
  const grpc = new Server();
  grpc.addService(definitions['portico.kitchen.v1.KitchenService'] as ServiceDefinition, {
    GetTicket(call: ServerUnaryCall<{ orderId: string }, unknown>, callback: sendUnaryData<unknown>) {
      callback(null, ticketFor(call.request.orderId));
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  const address = http.address();
  process.stdout.write(`READY ${JSON.stringify({ httpPort: typeof address === 'object' && address ? address.port : 0, grpcPort })}\n`);
}

if (require.main === module) void main();
