/**
 * The app the edge-stack suite loads: GET /orders/:orderId answering a pre-serialised ~1 KB JSON body with no upstream
 * (or, with BENCH_UPSTREAM_URL, fetching it from one), so only the edge cost differs between modes. BENCH_EDGE_MODE=bare is plain Koa and one @koa/router route;
 * BENCH_EDGE_MODE=span is the same with only the edge's server span in front (what tracing alone costs);
 * BENCH_EDGE_MODE=full is the stack a Portico service runs: createEdgeRuntime (Redis, JWKS from the edge environment
 * variables), createEdgeApp, then authenticate → authorize → rateLimit (Redis) → the same terminal, served by serve().
 * Tracing is started before this file loads, by bench/servers/telemetry-start.ts (`--import`), as instrument.ts would.
 */
import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import pino from 'pino';
import { Counter, Gauge } from 'prom-client';
import { authenticate, authorize, authPolicySchema, createAuthenticator } from '../../libs/edge/src/auth';
import { createLogger } from '../../libs/edge/src/logging';
import { createRateLimitStores, rateLimit, rateLimitPolicySchema } from '../../libs/edge/src/ratelimit';
import { createEdgeApp, createEdgeRuntime, serve } from '../../libs/edge/src/service';
import { clientSpans, serverSpanMiddleware } from '../../libs/edge/src/telemetry';
import { createUpstreams } from '../../libs/gateway/src/clients/upstreams';
import type { EdgeState } from '../../libs/edge/src/state';
import { UPSTREAM_BODY } from '../lib/upstream';

const ROUTE = { id: 'get-order', template: '/orders/:orderId' } as const;
const SERVICE_NAME = 'edge-stack-bench';

// BENCH_UPSTREAM_URL set: the terminal fetches the body from that upstream through the gateway's Upstream (keep-alive
// undici Pool, breaker, bulkhead, its own CLIENT span when traced), as a BFF's proxied route does; unset: it answers the
// pre-serialised body itself.
const upstreamUrl = process.env.BENCH_UPSTREAM_URL;
const upstream = upstreamUrl
  ? createUpstreams({ order: { url: upstreamUrl } }, { logger: createLogger({ serviceName: SERVICE_NAME, level: 'warn' }, pino.destination({ dest: '/dev/null', sync: true })), clientSpans }).get('order')
  : undefined;

// The terminal both modes share: what remains of a route once the edge functions are taken away.
async function getOrder(ctx: Koa.ParameterizedContext<EdgeState>): Promise<void> {
  ctx.type = 'application/json';
  if (!upstream) {
    ctx.body = UPSTREAM_BODY;
    return;
  }
  // The request's trace context, as a proxied route's Deadline carries it: the call's CLIENT span joins the request's trace.
  const res = await upstream.dispatch({ method: 'GET', path: ctx.path, headers: {}, deadline: Date.now() + 5000, retries: 0, operation: ROUTE.id, trace: ctx.state.trace });
  ctx.status = res.statusCode;
  ctx.body = res.buffered ?? res.body;
}

function ready(port: number): void {
  process.stdout.write(`READY ${JSON.stringify({ port, bodyBytes: UPSTREAM_BODY.length })}\n`);
}

// What the gateway's router does before a route's chain: name the route for logs, metrics and spans.
const routeInfo: Middleware<EdgeState> = async function routeInfo(ctx, next) {
  ctx.state.route = ROUTE;
  ctx.state.params = ctx.params;
  await next();
};

/** Plain Koa and the route; with `spanOnly`, the edge's server span and nothing else of the edge in front of it. */
async function startBare(spanOnly = false): Promise<void> {
  const app = new Koa<EdgeState>();
  app.silent = true;
  const router = new Router<EdgeState>();
  if (spanOnly) {
    app.use(serverSpanMiddleware());
    router.get(ROUTE.id, ROUTE.template, routeInfo, getOrder);
  } else router.get(ROUTE.id, ROUTE.template, getOrder);
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    ready(typeof address === 'object' && address ? address.port : 0);
  });
  // The edge server settings' keep-alive, so neither mode closes wrk's connections during a run.
  server.keepAliveTimeout = 65_000;
}

async function startFull(): Promise<void> {
  // Edge config comes from the environment the suite sets: PORT, HOST, REDIS_URL, REDIS_KEY_PREFIX, JWKS_URL, JWT_*.
  const runtime = createEdgeRuntime({ serviceName: SERVICE_NAME });
  const { edge, metrics } = runtime;
  const redis = runtime.redis;
  if (!redis) throw new Error('edge-stack-app: the full mode needs REDIS_URL');
  // Rate-limit commands fail at once while disconnected (no offline queue): serve only once the client is ready.
  if (redis.status !== 'ready') await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    setTimeout(() => reject(new Error(`edge-stack-app: Redis is unreachable at ${edge.redis?.url}`)), 5_000).unref();
  });
  // The runtime's logger writes to stdout, which the suite reads for READY; the access log goes to BENCH_ACCESS_LOG
  // instead (default /dev/null) through the same createLogger, so serialising and redaction cost the same, and through
  // the destination pino gives a service's stdout (sonic-boom, asynchronous, no minimum length), so writing does too.
  const logger = createLogger({ serviceName: SERVICE_NAME, level: edge.log.level }, pino.destination({ dest: process.env.BENCH_ACCESS_LOG ?? '/dev/null', sync: false }));

  const authenticator = createAuthenticator(edge.auth, { logger });
  await authenticator.ready();
  const stores = createRateLimitStores(edge, { redis, logger });
  if (!stores.shared) throw new Error('edge-stack-app: the rate-limit store is not Redis');
  const authPolicy = authPolicySchema.parse({ auth: 'required', scopes: ['orders:read'] });
  // High enough never to trigger during a run, so every request takes the full Redis round trip and is admitted.
  const limitPolicy = rateLimitPolicySchema.parse({ limit: 1_000_000_000, per: '1m', key: 'principal' });

  // Read only when /metrics is scraped after the run: proves the token cache and the Redis store did what the report says.
  const registers = [metrics.registry];
  const storeFailures = new Counter({ name: 'bench_rate_limit_store_failures_total', help: 'Rate-limit store failures (fallback used)', registers });
  const jwtStats = authenticator.jwt?.stats;
  new Gauge({ name: 'bench_jwt_signature_checks', help: 'JWT signatures verified', registers, collect() { this.set(jwtStats?.signatureChecks ?? 0); } });
  new Gauge({ name: 'bench_jwt_cache_hits', help: 'JWTs served from the verified-token cache', registers, collect() { this.set(jwtStats?.cacheHits ?? 0); } });

  const router = new Router<EdgeState>();
  router.get(
    ROUTE.id,
    ROUTE.template,
    routeInfo,
    authenticate(authPolicy, { authenticator }),
    authorize(authPolicy),
    rateLimit(limitPolicy, {
      ...stores,
      logger,
      expectedReplicas: edge.expectedReplicas,
      routeId: ROUTE.id,
      serviceName: SERVICE_NAME,
      onStoreFailure: () => storeFailures.inc(),
    }),
    getOrder,
  );
  const app = createEdgeApp({ ...runtime, logger });
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  const serving = await serve(app, runtime);
  ready(Number(new URL(serving.url).port));
}

// Exit normally on the suite's SIGTERM so `node --cpu-prof` can write its profile.
process.once('SIGTERM', () => process.exit(0));
const mode = process.env.BENCH_EDGE_MODE ?? 'bare';
const start = mode === 'bare' ? () => startBare() : mode === 'span' ? () => startBare(true) : mode === 'full' ? startFull : undefined;
if (!start) throw new Error(`BENCH_EDGE_MODE: unknown mode ${mode}`);
start().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
