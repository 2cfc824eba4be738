import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cors, CORS_DEFAULTS, type CorsOptions } from '../../src/cors';
import { EdgeError, problemMiddleware } from '../../src/errors';
import type { EdgeState } from '../../src/state';

const APP = 'https://app.example.com';

interface Seen {
  status: number;
  headers: Record<string, unknown>;
}

async function startApp(options: CorsOptions): Promise<{ url: string; routeHits: () => number; afterNext: Seen[]; server: Server }> {
  const app = new Koa<EdgeState>();
  const afterNext: Seen[] = [];
  let hits = 0;
  app.use(async (ctx, next) => {
    ctx.state.requestId = 'req-1';
    await next();
    afterNext.push({ status: ctx.status, headers: { ...ctx.response.headers } });
  });
  app.use(problemMiddleware());
  app.use(cors(options));
  app.use(async (ctx) => {
    hits += 1;
    if (ctx.path === '/fail') throw new EdgeError('RATE_LIMITED', { headers: { 'Retry-After': '3' } });
    if (ctx.path === '/cached') ctx.set('Vary', 'Accept-Language');
    ctx.body = { ok: true, varyDuringRoute: ctx.response.get('vary') || null };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, routeHits: () => hits, afterNext, server };
}

describe('cors', () => {
  let env: Awaited<ReturnType<typeof startApp>>;
  before(async () => {
    env = await startApp({ origins: [APP, 'http://localhost:8080'], maxAgeSeconds: 300 });
  });
  after(() => env.server.close());
  beforeEach(() => (env.afterNext.length = 0));

  describe('preflight (OPTIONS with Access-Control-Request-Method)', () => {
    it('answers 204 for an allowed origin with the exact origin, methods, headers and max-age, without reaching a route', async () => {
      const before = env.routeHits();
      const res = await fetch(`${env.url}/orders`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
      expect(res.status).to.equal(204);
      expect(res.headers.get('access-control-allow-origin')).to.equal(APP);
      expect(res.headers.get('access-control-allow-methods')).to.equal(CORS_DEFAULTS.methods.join(', '));
      expect(res.headers.get('access-control-allow-headers')).to.equal('Authorization, Content-Type, X-Request-Id, If-None-Match');
      expect(res.headers.get('access-control-max-age')).to.equal('300');
      expect(res.headers.get('access-control-allow-credentials')).to.equal(null);
      expect(res.headers.get('vary')).to.equal('Origin');
      expect(env.routeHits()).to.equal(before);
      expect(env.afterNext[0]?.status).to.equal(204);
    });

    it('answers 403 ORIGIN_NOT_ALLOWED problem+json with no CORS header for a disallowed origin, without reaching a route', async () => {
      const before = env.routeHits();
      const res = await fetch(`${env.url}/orders`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(res.status).to.equal(403);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ type: 'urn:portico:problem:origin-not-allowed', title: 'Origin not allowed', status: 403, requestId: 'req-1' });
      expect(JSON.stringify(body)).not.to.contain('app.example.com');
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).to.deep.equal([]);
      expect(env.routeHits()).to.equal(before);
      expect(env.afterNext[0]?.status).to.equal(403);
    });

    it('lets an OPTIONS without Access-Control-Request-Method through to the routes (it is not a preflight)', async () => {
      const before = env.routeHits();
      const res = await fetch(`${env.url}/orders`, { method: 'OPTIONS', headers: { origin: APP } });
      expect(res.status).to.equal(200);
      expect(env.routeHits()).to.equal(before + 1);
      expect(res.headers.get('access-control-allow-origin')).to.equal(APP);
    });

    it('treats a preflight from a port that is not listed as a different, disallowed origin', async () => {
      const res = await fetch(`${env.url}/orders`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8081', 'access-control-request-method': 'GET' } });
      expect(res.status).to.equal(403);
    });
  });

  describe('actual requests', () => {
    it('adds the exact allowed origin, exposed headers and Vary: Origin after the route answered', async () => {
      const res = await fetch(`${env.url}/orders`, { headers: { origin: 'http://localhost:8080' } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('access-control-allow-origin')).to.equal('http://localhost:8080');
      expect(res.headers.get('access-control-expose-headers')).to.equal(CORS_DEFAULTS.exposeHeaders.join(', '));
      expect(res.headers.get('vary')).to.equal('Origin');
      // The route (and a response cache inside it) never sees Vary: Origin, so caching public answers still works.
      expect(await res.json()).to.deep.equal({ ok: true, varyDuringRoute: null });
      expect(env.afterNext[0]?.headers['access-control-allow-origin']).to.equal('http://localhost:8080');
    });

    it('merges Vary: Origin with the route’s own Vary', async () => {
      const res = await fetch(`${env.url}/cached`, { headers: { origin: APP } });
      expect(res.headers.get('vary')).to.equal('Accept-Language, Origin');
    });

    it('adds no CORS header for a disallowed origin, but still answers it (the browser enforces the policy)', async () => {
      const res = await fetch(`${env.url}/orders`, { headers: { origin: 'https://evil.example' } });
      expect(res.status).to.equal(200);
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).to.deep.equal([]);
      expect(res.headers.get('vary')).to.equal('Origin');
    });

    it('adds no CORS header to a request without Origin (same-origin or not a browser)', async () => {
      const res = await fetch(`${env.url}/orders`);
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).to.deep.equal([]);
    });

    it('keeps the CORS headers on a problem+json failure so the browser app can read it (429 with Retry-After)', async () => {
      const res = await fetch(`${env.url}/fail`, { headers: { origin: APP } });
      expect(res.status).to.equal(429);
      expect(res.headers.get('access-control-allow-origin')).to.equal(APP);
      expect(res.headers.get('access-control-expose-headers')).to.contain('Retry-After');
      expect(res.headers.get('retry-after')).to.equal('3');
      expect(env.afterNext[0]?.status).to.equal(429);
    });
  });

  describe('with credentials', () => {
    let creds: Awaited<ReturnType<typeof startApp>>;
    before(async () => {
      creds = await startApp({ origins: [APP], credentials: true, methods: ['get', 'POST'], headers: ['Authorization'] });
    });
    after(() => creds.server.close());

    it('echoes the exact origin (never *) with Access-Control-Allow-Credentials on preflights and requests', async () => {
      const pre = await fetch(`${creds.url}/x`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } });
      expect(pre.headers.get('access-control-allow-origin')).to.equal(APP);
      expect(pre.headers.get('access-control-allow-credentials')).to.equal('true');
      expect(pre.headers.get('access-control-allow-methods')).to.equal('GET, POST');
      expect(pre.headers.get('access-control-allow-headers')).to.equal('Authorization');
      expect(pre.headers.get('access-control-max-age')).to.equal(String(CORS_DEFAULTS.maxAgeSeconds));
      const res = await fetch(`${creds.url}/x`, { headers: { origin: APP } });
      expect(res.headers.get('access-control-allow-origin')).to.equal(APP);
      expect(res.headers.get('access-control-allow-credentials')).to.equal('true');
    });
  });

  describe('options checked at start-up', () => {
    it('refuses "*", "null", paths and non-http origins', () => {
      expect(() => cors({ origins: ['*'] })).to.throw(/"\*" is not allowed/);
      expect(() => cors({ origins: ['null'] })).to.throw(/"null" is not allowed/);
      expect(() => cors({ origins: ['https://app.example.com/'] })).to.throw(/expected an origin/);
      expect(() => cors({ origins: ['ftp://app.example.com'] })).to.throw(/expected an origin/);
    });

    it('refuses header and method names that are not HTTP tokens, and a negative max-age', () => {
      expect(() => cors({ origins: [APP], headers: ['X Bad'] })).to.throw(/headers entry "X Bad"/);
      expect(() => cors({ origins: [APP], methods: ['GET,POST'] })).to.throw(/methods entry/);
      expect(() => cors({ origins: [APP], maxAgeSeconds: -1 })).to.throw(/maxAgeSeconds/);
    });
  });
});
