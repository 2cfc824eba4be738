/**
 * Composition with undici: GET /parallel calls four upstreams at once through one keep-alive Pool each and answers the
 * combined JSON; GET /sequential makes the same four calls one after another. Timeouts are set explicitly as in Portico.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const urls = (process.env.UPSTREAM_URLS ?? '').split(',').filter(Boolean);
const parts = ['order', 'kitchen', 'delivery', 'bill'] as const;
const pools = urls.map((url) => new Pool(url, { connections: 64, keepAliveTimeout: 4_000, headersTimeout: 2_000, bodyTimeout: 2_000, connectTimeout: 1_500 }));

async function fetchPart(index: number): Promise<unknown> {
  const pool = pools[index];
  if (!pool) throw new Error(`no upstream ${index}`);
  const { statusCode, body } = await pool.request({ method: 'GET', path: `/${parts[index]}`, headers: { accept: 'application/json' } });
  if (statusCode !== 200) {
    await body.dump();
    throw new Error(`upstream ${index} answered ${statusCode}`);
  }
  return body.json();
}

async function compose(sequential: boolean): Promise<Record<string, unknown>> {
  const values: unknown[] = [];
  if (sequential) for (let i = 0; i < pools.length; i += 1) values.push(await fetchPart(i));
  else values.push(...(await Promise.all(pools.map((_, i) => fetchPart(i)))));
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
