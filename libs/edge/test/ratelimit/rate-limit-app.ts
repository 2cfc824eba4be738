/** Test helper: a Koa app with problem+json, a stand-in for request-context/auth (identity from x-test-* headers) and rate-limited routes. */
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemMiddleware } from '../../src/errors';
import { globalRateLimit, rateLimit, type RateLimitDeps, type RateLimitPolicy } from '../../src/ratelimit';
import type { EdgeState, Principal } from '../../src/state';

/** One rate-limited route of the test app. */
export interface TestRoute {
  id: string;
  path: string;
  policy: RateLimitPolicy;
}

/** Extras of the test app: a service-wide policy, and a list that receives how long each route limiter took to decide. */
export interface TestAppOptions {
  global?: RateLimitPolicy;
  limiterMs?: number[];
}

/** Builds the app: `/<route.path>` answers 200 `{ route }` behind its limit; `x-after` shows ctx.state.rateLimit once next() resolved. */
export function rateLimitApp(routes: TestRoute[], deps: Omit<RateLimitDeps, 'routeId'>, options: TestAppOptions = {}): Koa<EdgeState> {
  const { global, limiterMs } = options;
  const app = new Koa<EdgeState>();
  app.use(problemMiddleware({ logger: deps.logger }));
  app.use(async function identity(ctx, next) {
    ctx.state.requestId = 'req-test';
    ctx.state.clientAddress = ctx.get('x-test-client') || '127.0.0.1';
    const subject = ctx.get('x-test-subject');
    if (subject) {
      const principal: Principal = { kind: ctx.get('x-test-kind') === 'api-key' ? 'api-key' : 'jwt', issuer: ctx.get('x-test-issuer') || 'https://id.example', subject, scopes: [], roles: [] };
      if (ctx.get('x-test-client-id')) principal.clientId = ctx.get('x-test-client-id');
      if (ctx.get('x-test-plan')) principal.plan = ctx.get('x-test-plan');
      ctx.state.principal = principal;
    }
    await next();
    // Runs only after every limiter and the terminal resolved.
    if (ctx.status === 200) ctx.set('x-after', JSON.stringify(ctx.state.rateLimit ?? null));
  });
  if (global) app.use(globalRateLimit(global, deps));
  const chains = new Map(routes.map((route) => [route.path, rateLimit(route.policy, { ...deps, routeId: route.id })]));
  app.use(async function router(ctx, next) {
    const limited = chains.get(ctx.path);
    if (!limited) return next();
    const started = performance.now();
    try {
      await limited(ctx, async () => {
        limiterMs?.push(performance.now() - started);
        ctx.body = { route: ctx.path };
      });
    } catch (err) {
      limiterMs?.push(performance.now() - started);
      throw err;
    }
  });
  return app;
}

/** Listens on a free loopback port; returns the server and its base URL. */
export async function listen(app: Koa<EdgeState>): Promise<{ server: Server; base: string }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
