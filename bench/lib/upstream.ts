/**
 * The benchmark upstream: a minimal node:http server answering a pre-serialised ~1 KB JSON body with keep-alive, on one
 * or more ports, optionally after a fixed latency. Run as its own process: `node --import tsx bench/lib/upstream.ts`.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';

/** An order-like JSON body with `items` line items, serialised once (8 items: about 1 KB). */
export function upstreamBody(items: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'ord-0001',
      status: 'DELIVERED',
      restaurant: { id: 'rest-42', name: 'Portico Pizza', address: '1 Main Street, Springfield' },
      items: Array.from({ length: items }, (_, i) => ({ sku: `sku-${i}`, name: `Item number ${i}`, quantity: i + 1, price: 4.5 + i })),
      total: 163.5,
      currency: 'EUR',
      placedAt: '2026-01-01T12:00:00.000Z',
      note: 'x'.repeat(260),
    }),
  );
}

/** The body every upstream answers unless told otherwise: about 1 KB of JSON. */
export const UPSTREAM_BODY = upstreamBody(8);

/** Starts one upstream server on `port` (0 = any) answering every request with `body` after `latencyMs`. */
export async function startUpstream(port: number, latencyMs: number, body: Buffer = UPSTREAM_BODY): Promise<Server> {
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
  const server = createServer((req, res) => {
    req.resume();
    const answer = () => {
      res.writeHead(200, headers);
      res.end(body);
    };
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
  server.keepAliveTimeout = 5_000; // Node's default, stated: the proxies' pools idle out sooner
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function main(): Promise<void> {
  const count = Number(process.env.UPSTREAM_COUNT ?? '1');
  const latencyMs = Number(process.env.UPSTREAM_LATENCY_MS ?? '0');
  const body = process.env.UPSTREAM_ITEMS ? upstreamBody(Number(process.env.UPSTREAM_ITEMS)) : UPSTREAM_BODY;
  const servers = await Promise.all(Array.from({ length: count }, () => startUpstream(0, latencyMs, body)));
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  process.stdout.write(`READY ${JSON.stringify({ ports, bodyBytes: body.length })}\n`);
}

if (require.main === module) void main();
