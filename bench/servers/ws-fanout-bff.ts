/**
 * The system under test for bench/ws-fanout.ts: one BFF built by createBff with the live module mounted, its events
 * from Redis pub/sub (REDIS_URL), JWTs checked against the bench issuer's JWKS, and every order owned by its caller.
 * Prints `READY {"port":…}` once the JWKS is loaded.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBff } from '../../libs/gateway/src/create-bff';
import { liveOrdersForBff } from '../../libs/gateway/src/live/bff-live';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-ws-fanout-'));
  writeFileSync(join(dir, 'routes.yaml'), 'routes:\n  - { id: get-order, method: GET, path: /orders/:orderId, upstream: "${ORDER_SERVICE_URL}/orders/:orderId" }\n');
  const bff = await createBff({ serviceName: 'ws-fanout-bff', routesFile: join(dir, 'routes.yaml'), configDefaults: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ORDER_SERVICE_URL: 'http://127.0.0.1:9' }, watch: false });
  // The bench opens thousands of sockets as one user; the per-principal cap is a production guard, not what is measured.
  const live = liveOrdersForBff(bff, { ownerOf: async (_orderId, principal) => principal.subject, limits: { perPrincipal: 100_000, perProcess: 20_000 } });
  bff.mount('live orders', live);
  await bff.authenticator.ready();
  const server = await bff.listen();
  process.stdout.write(`READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`ws-fanout-bff: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
