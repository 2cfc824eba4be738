/**
 * The overload generator's process (spawned by overload.ts, argv[2] = OverloadOptions as JSON). It opens every
 * connection first, each with one GET /livez, and only then fires: Node 20's libuv accepts one connection per event-loop
 * turn, so a burst of new connections aimed at a server that is already saturated waits seconds in the kernel's
 * accept queue — a property of the connection storm, not of how the server answers overload on the connections it
 * has. Prints `firing` when every connection is open, then one JSON OverloadResult.
 */
import { Client } from 'undici';
import type { OverloadOptions, OverloadResult } from './overload';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

async function main(options: OverloadOptions): Promise<OverloadResult> {
  const url = new URL(options.url);
  const timeout = options.timeoutMs ?? 5000;
  const clients = Array.from(
    { length: options.connections },
    () => new Client(url.origin, { pipelining: 1, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: timeout }),
  );
  const connectStarted = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      const res = await client.request({ method: 'GET', path: '/livez' });
      await res.body.dump();
    }),
  );
  const connectMs = performance.now() - connectStarted;
  process.stdout.write('firing\n');

  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let timeouts = 0;
  const endAt = performance.now() + options.durationS * 1000;
  const request = { method: 'GET' as const, path: url.pathname + url.search, headers: options.headers ?? {} };
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < endAt) {
        const started = performance.now();
        try {
          const res = await client.request(request);
          await res.body.dump();
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        } catch (err) {
          if (TIMEOUT_CODES.has((err as { code?: string }).code ?? '')) timeouts++;
          else errors++;
        }
        latencies.push(performance.now() - started);
      }
    }),
  );
  await Promise.all(clients.map((client) => client.destroy()));
  latencies.sort((a, b) => a - b);
  const p99Ms = latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]! : 0;
  return { requests: latencies.length, statuses, errors, timeouts, p99Ms: Math.round(p99Ms), connectMs: Math.round(connectMs) };
}

main(JSON.parse(process.argv[2]!) as OverloadOptions).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    process.stderr.write(`overload generator failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
