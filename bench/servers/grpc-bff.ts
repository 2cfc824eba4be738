/**
 * The BFF the grpc-vs-rest suite loads: one createBff process with two routes to the same ticket logic, REST→REST
 * (proxied to KITCHEN_SERVICE_URL) and REST→gRPC (GetTicket on KITCHEN_GRPC_ADDRESS), no auth or limits, access log built
 * and discarded. Run with `--conditions=portico-source --import tsx`; prints READY {port}.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBff } from '../../libs/gateway/src/create-bff';
import { PROTO_ROOT } from './ticket-backends';

const ROUTES = `
routes:
  - id: rest-ticket
    method: GET
    path: /rest/tickets/:orderId
    upstream: \${KITCHEN_SERVICE_URL}/tickets/:orderId
    policy: { auth: none }
  - id: grpc-ticket
    method: GET
    path: /grpc/tickets/:orderId
    policy: { auth: none }
    grpc: { upstream: "\${KITCHEN_GRPC_ADDRESS}", service: portico.kitchen.v1.KitchenService, method: GetTicket, request: { orderId: ':orderId' } }
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-grpc-'));
  const routesFile = join(dir, 'routes.yaml');
  writeFileSync(routesFile, ROUTES);
  const bff = await createBff({
    serviceName: 'grpc-vs-rest-bench',
    routesFile,
    protoPath: PROTO_ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    // Log lines are serialised as in production, then dropped: stdout carries only READY.
    logDestination: { write: () => undefined },
    watch: false,
    signals: false,
  });
  const server = await bff.listen(0, '127.0.0.1');
  const address = server.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
}

// The suite stops this process by pid; nothing here needs a graceful drain.
process.once('SIGTERM', () => process.exit(0));
main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
