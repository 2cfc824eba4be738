/**
 * Baseline: the smallest streaming reverse proxy on node:http and one undici Pool (keep-alive, 64 sockets, idle 4 s).
 * It drops hop-by-hop headers and nothing else; the Portico proxy adds policy, faults and telemetry on top.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

const upstream = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:8081';
const pool = new Pool(upstream, { connections: 64, keepAliveTimeout: 4_000, pipelining: 1 });

const server = createServer((req, res) => {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool.stream(
    { method: req.method as 'GET', path: req.url ?? '/', headers: forwardable(req.headers), body: hasBody ? req : null },
    ({ statusCode, headers }) => {
      res.writeHead(statusCode, forwardable(headers));
      return res;
    },
    (err) => {
      if (!err) return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway');
      } else res.destroy();
    },
  );
  if (!hasBody) req.resume();
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
