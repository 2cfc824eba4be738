/**
 * Baseline: Koa 3 + koa-proxies (http-proxy) with a keep-alive agent of 64 sockets, the stack the original design named.
 * Kept only to measure against; Portico's proxy is built on undici (docs/decisions/0001-upstream-http-client.md).
 */
import { Agent } from 'node:http';
import Koa from 'koa';
import proxy from 'koa-proxies';

const target = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:8081';
const app = new Koa();
app.silent = true; // wrk closing its sockets at the end of a run is not worth a stack trace per connection
app.use(proxy('/', { target, changeOrigin: true, logs: false, agent: new Agent({ keepAlive: true, maxSockets: 64 }) }));

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
server.keepAliveTimeout = 65_000;
