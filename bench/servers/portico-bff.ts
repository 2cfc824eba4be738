/**
 * A Portico BFF for the proxy and composition suites: createBff (the compiled @portico/gateway, as a service runs it)
 * from the routing map in BENCH_ROUTES (YAML text), upstream names from BENCH_UPSTREAMS (JSON name → variable), the
 * rest from the environment. Access lines are serialised as in production, then dropped. Prints READY {port}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBff } from '@portico/gateway';

async function main(): Promise<void> {
  const routes = process.env.BENCH_ROUTES;
  if (!routes) throw new Error('BENCH_ROUTES: expected a routing map as YAML text');
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-bff-'));
  const routesFile = join(dir, 'routes.yaml');
  writeFileSync(routesFile, routes);
  const upstreams = JSON.parse(process.env.BENCH_UPSTREAMS ?? '{}') as Record<string, string>;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1' };
  delete env.BENCH_ROUTES;
  delete env.BENCH_UPSTREAMS;
  const bff = await createBff({
    serviceName: 'bench-bff',
    routesFile,
    env,
    upstreams,
    logDestination: { write: () => undefined },
    watch: false,
    signals: false,
  });
  const server = await bff.listen(0, '127.0.0.1');
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

// The suite stops this process by pid; nothing here needs a graceful drain.
process.once('SIGTERM', () => process.exit(0));
main().catch((err: unknown) => {
  process.stderr.write(`portico-bff: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
