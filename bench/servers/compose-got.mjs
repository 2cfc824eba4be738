/**
 * Baseline: the same four-way composition as compose-undici.ts with got 14 (ESM-only, hence .mjs) over a keep-alive
 * node:http Agent, retries off and explicit timeouts. Kept only to measure against (docs/decisions/0001).
 */
import { createServer, Agent } from 'node:http';
import got from 'got';

const urls = (process.env.UPSTREAM_URLS ?? '').split(',').filter(Boolean);
const parts = ['order', 'kitchen', 'delivery', 'bill'];
const client = got.extend({
  agent: { http: new Agent({ keepAlive: true, maxSockets: 64 }) },
  retry: { limit: 0 },
  timeout: { connect: 1_500, response: 2_000, request: 2_000 },
  headers: { accept: 'application/json' },
});

async function compose(sequential) {
  const call = (i) => client.get(`${urls[i]}/${parts[i]}`).json();
  const values = [];
  if (sequential) for (let i = 0; i < urls.length; i += 1) values.push(await call(i));
  else values.push(...(await Promise.all(urls.map((_, i) => call(i)))));
  return Object.fromEntries(parts.map((name, i) => [name, values[i]]));
}

const server = createServer((req, res) => {
  req.resume();
  compose(req.url === '/sequential').then(
    (result) => {
      const body = JSON.stringify(result);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    () => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    },
  );
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
