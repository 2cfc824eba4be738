/**
 * The app the telemetry-overhead suite loads: Portico's app-wide edge middleware (server span, request context and
 * access log, problem+json, metrics, span naming) in front of one route that fetches the upstream through an undici Pool.
 */
import Koa from 'koa';
import pino from 'pino';
import { Pool } from 'undici';
import { createLogger, requestContext } from '../../libs/edge/src/logging';
import { createMetrics, metricsMiddleware } from '../../libs/edge/src/metrics';
import { runInTraceContext, serverSpanMiddleware, tracingMiddleware } from '../../libs/edge/src/telemetry';
import { problemMiddleware } from '../../libs/edge/src/errors';
import type { EdgeState } from '../../libs/edge/src/state';

const upstream = new Pool(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:8081', { connections: 64, keepAliveTimeout: 4_000 });
// Access lines are written (to /dev/null) so every mode pays the same logging cost.
const logger = createLogger({ serviceName: 'bench-app', level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
const metrics = createMetrics({ serviceName: 'bench-app' });

const app = new Koa<EdgeState>();
app.silent = true;
app.use(serverSpanMiddleware());
app.use(requestContext({ logger, trustedProxyHops: 0 }));
app.use(problemMiddleware());
app.use(metricsMiddleware(metrics));
app.use(tracingMiddleware());
app.use(async (ctx, next) => {
  // A stand-in for the router: one route, matched by prefix.
  if (ctx.path.startsWith('/orders/')) ctx.state.route = { id: 'get-order', template: '/orders/:orderId' };
  await next();
});
app.use(async (ctx) => {
  if (!ctx.state.route) return;
  // In the request's trace context, as handler code passes it (README, trace context in handler code).
  const res = await runInTraceContext(ctx.state.trace, () => upstream.request({ method: 'GET', path: ctx.path }));
  ctx.status = res.statusCode;
  ctx.type = 'application/json';
  ctx.body = Buffer.from(await res.body.arrayBuffer());
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`READY ${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
server.keepAliveTimeout = 65_000;
