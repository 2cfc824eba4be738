/**
 * The whole edge stack on one tiny example app, the way a service mounts it: createEdgeRuntime → createEdgeApp →
 * per-route authenticate → authorize → rateLimit → responseCache → handler, against the real Redis.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { request } from 'undici';
import {
  authPolicySchema,
  authenticate,
  authorize,
  createAuthenticator,
  createRateLimitStores,
  RedisCacheStore,
  rateLimit,
  rateLimitPolicySchema,
  cachePolicySchema,
  requireOwner,
  responseCache,
  startService,
  type EdgeState,
  type RunningService,
} from '../../src';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'example-app-secret-of-at-least-32-chars!';

function token(sub: string, scope = 'orders:read', extra: Record<string, unknown> = {}): string {
  return jwt.sign({ sub, scope, ...extra }, SECRET, { algorithm: 'HS256', issuer: 'example', audience: 'example-app', expiresIn: 300 });
}

describe('the edge stack mounted on an example app (real Redis)', () => {
  let svc: RunningService;
  let handlerCalls = 0;
  const prefix = `portico-test:edge-stack:${randomUUID()}:`;
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  before(async () => {
    const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', REDIS_URL, REDIS_KEY_PREFIX: prefix, JWT_SECRET: SECRET, JWT_ISSUER: 'example', JWT_AUDIENCE: 'example-app' };
    svc = await startService({ serviceName: 'example' }, async (runtime) => {
      const authenticator = createAuthenticator(runtime.edge.auth, { logger: runtime.logger });
      await authenticator.ready();
      const stores = createRateLimitStores(runtime.edge, { redis: runtime.redis, logger: runtime.logger });
      const cacheStore = new RedisCacheStore({ redis: runtime.redis!, keyPrefix: prefix });
      const policy = authPolicySchema.parse({ auth: 'required', scopes: ['orders:read'] });
      const limit = rateLimitPolicySchema.parse({ limit: 5, per: '10s' });
      const cache = cachePolicySchema.parse({ ttl: '30s' });
      const deps = { ...stores, logger: runtime.logger, expectedReplicas: 1, serviceName: 'example' };
      const router = new Router<EdgeState>();
      const named = (id: string, template: string) =>
        async function route(ctx: { state: EdgeState }, next: () => Promise<unknown>) {
          ctx.state.route = { id, template };
          await next();
        };
      router.get(
        '/orders/:orderId',
        named('get-order', '/orders/:orderId'),
        authenticate(policy, { authenticator }),
        authorize(policy),
        rateLimit(limit, { ...deps, routeId: 'get-order' }),
        responseCache(cache, { store: cacheStore, logger: runtime.logger, routeId: 'get-order' }),
        async (ctx) => {
          handlerCalls += 1;
          const owner = ctx.params.orderId === 'o-1' ? 'c-1' : 'c-2';
          requireOwner(ctx, owner);
          ctx.body = { orderId: ctx.params.orderId, owner, servedTo: ctx.state.principal?.subject };
        },
      );
      return { router };
    }, env);
  });
  after(() => svc.close());

  it('echoes a valid request id and makes one for a missing or invalid one', async () => {
    const kept = await request(`${svc.url}/livez`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).to.equal('abc-123');
    const made = await request(`${svc.url}/livez`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
    await Promise.all([kept.body.dump(), made.body.dump()]);
  });

  it('answers 401 with WWW-Authenticate for no token and for a forged one, without reaching the handler', async () => {
    const calls = handlerCalls;
    const none = await request(`${svc.url}/orders/o-1`);
    expect(none.statusCode).to.equal(401);
    expect(none.headers['www-authenticate']).to.equal('Bearer realm="portico"');
    const forged = jwt.sign({ sub: 'c-1', scope: 'orders:read' }, 'another-secret-another-secret-another!!', { algorithm: 'HS256', issuer: 'example', audience: 'example-app', expiresIn: 60 });
    const bad = await request(`${svc.url}/orders/o-1`, { headers: bearer(forged) });
    expect(bad.statusCode).to.equal(401);
    expect(bad.headers['www-authenticate']).to.match(/error="invalid_token"/);
    expect(((await bad.body.json()) as { type: string }).type).to.equal('urn:portico:problem:invalid-token');
    await none.body.dump();
    expect(handlerCalls).to.equal(calls);
  });

  it('answers 403 insufficient_scope for a valid token without the scope', async () => {
    const res = await request(`${svc.url}/orders/o-1`, { headers: bearer(token('c-1', 'profile:read')) });
    expect(res.statusCode).to.equal(403);
    expect(res.headers['www-authenticate']).to.match(/insufficient_scope/);
    await res.body.dump();
  });

  it('serves the owner, caches per principal, and answers a non-owner 404', async () => {
    const first = await request(`${svc.url}/orders/o-1`, { headers: bearer(token('c-1')) });
    expect(first.statusCode).to.equal(200);
    expect(first.headers['x-cache']).to.equal('MISS');
    expect(first.headers['ratelimit-policy']).to.equal('"get-order";q=5;w=10');
    await first.body.dump();
    const second = await request(`${svc.url}/orders/o-1`, { headers: bearer(token('c-1')) });
    expect(second.headers['x-cache']).to.equal('HIT');
    expect(await second.body.json()).to.deep.equal({ orderId: 'o-1', owner: 'c-1', servedTo: 'c-1' });
    const other = await request(`${svc.url}/orders/o-1`, { headers: bearer(token('c-9')) });
    expect(other.statusCode).to.equal(404);
    expect(other.headers['x-cache']).to.equal(undefined);
    await other.body.dump();
  });

  it('limits each principal to 5 per window with IETF headers, 429 problem+json and Retry-After', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await request(`${svc.url}/orders/o-2`, { headers: bearer(token('c-2')) });
      statuses.push(last.statusCode);
      if (i < 6) await last.body.dump();
    }
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 429, 429]);
    expect(last!.headers['retry-after']).to.match(/^\d+$/);
    expect(last!.headers['ratelimit']).to.match(/^"get-order";r=0;t=\d+$/);
    expect(await last!.body.json()).to.include({ type: 'urn:portico:problem:rate-limited', status: 429 });
    const elsewhere = await request(`${svc.url}/orders/o-2`, { headers: bearer(token('c-3')) });
    expect(elsewhere.statusCode).to.equal(404);
    await elsewhere.body.dump();
  });

  it('is ready with Redis and exposes metrics by route template, never the raw path', async () => {
    const ready = await request(`${svc.url}/readyz`);
    expect(ready.statusCode).to.equal(200);
    expect(((await ready.body.json()) as { checks: Record<string, boolean> }).checks).to.include({ redis: true });
    const metrics = await (await request(`${svc.url}/metrics`)).body.text();
    expect(metrics).to.match(/http_requests_total\{[^}]*route="\/orders\/:orderId"[^}]*\} \d+/);
    expect(metrics).not.to.match(/route="\/orders\/o-1"/);
    expect(metrics).to.match(/rate_limit_decisions_total\{[^}]*outcome="limited"/);
    expect(metrics).to.match(/cache_lookups_total\{[^}]*result="hit"/);
  });
});
