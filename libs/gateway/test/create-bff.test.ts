import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { ConfigError } from '@portico/edge';
import { createBff, type Bff } from '../src/create-bff';
import { startUpstream, type TestUpstream } from './proxy/proxy-harness';
import { send, sendRaw } from './proxy/http-client';

const SECRET = 'portico-test-secret-0123456789abcdef';
const AUTH_ENV = { JWT_SECRET: SECRET, JWT_ISSUER: 'https://issuer.portico.test/', JWT_AUDIENCE: 'portico', NODE_ENV: 'test' };

function token(claims: Record<string, unknown> = {}): string {
  return jwt.sign({ iss: AUTH_ENV.JWT_ISSUER, aud: 'portico', sub: 'user-7', scope: 'orders:read', azp: 'mobile-app', ...claims }, SECRET, {
    algorithm: 'HS256',
    expiresIn: 300,
  });
}

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ROUTES = `
routes:
  - { id: public-file, method: GET, path: /public/:file, upstream: "\${ORDER_SERVICE_URL}/public/:file", policy: { auth: none } }
  - { id: admin-users, method: GET, path: /admin/users, upstream: "\${ORDER_SERVICE_URL}/admin/users", policy: { auth: required, scopes: [admin] } }
  - { id: get-order, method: GET, path: /orders/:orderId, upstream: "\${ORDER_SERVICE_URL}/orders/:orderId", policy: { auth: required, scopes: [orders:read], rateLimit: { limit: 100, per: 1m } } }
  - { id: slow, method: GET, path: /slow, upstream: "\${ORDER_SERVICE_URL}/slow", policy: { auth: none, retries: 0 } }
`;

describe('createBff', function () {
  this.timeout(20_000);
  let upstream: TestUpstream;
  let dir: string;
  let file: string;
  let bff: Bff;
  let base: string;
  const logLines: Array<Record<string, unknown>> = [];
  let releaseSlow: () => void = () => undefined;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/slow') {
        releaseSlow = () => res.end(JSON.stringify({ from: 'old map' }));
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
    dir = mkdtempSync(join(tmpdir(), 'portico-create-bff-'));
    file = join(dir, 'routes.yaml');
    writeFileSync(file, ROUTES);
    bff = await createBff({
      serviceName: 'test-bff',
      routesFile: file,
      env: { ...AUTH_ENV, PORT: '0', LOG_LEVEL: 'info', ORDER_SERVICE_URL: upstream.url },
      signals: false,
      logDestination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const server = await bff.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await bff.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (upstream.seen.length = 0));

  it('says once, clearly, that without REDIS_URL limits and cache are per process', () => {
    expect(logLines.filter((l) => /PER PROCESS/.test(String(l.msg)))).to.have.length(1);
    expect(logLines.find((l) => /PER PROCESS/.test(String(l.msg)))?.msg).to.match(/^no REDIS_URL: rate limits, caches and events are PER PROCESS/);
  });

  it('proxies an authenticated request with the principal headers and without Authorization', async () => {
    const answer = await send(base, '/orders/42', { headers: { authorization: `Bearer ${token()}`, 'x-principal-subject': 'admin' } });
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.equal({ url: '/orders/42' });
    expect(answer.headers['x-request-id']).to.be.a('string');
    expect(answer.headers['ratelimit-policy']).to.be.a('string');
    const seen = upstream.seen[0]?.headers ?? {};
    expect(seen.authorization).to.equal(undefined);
    expect(seen['x-principal-subject']).to.equal('user-7');
    expect(seen['x-principal-issuer']).to.equal(AUTH_ENV.JWT_ISSUER);
    expect(seen['x-principal-scopes']).to.equal('orders:read');
    expect(seen['x-principal-client-id']).to.equal('mobile-app');
    expect(seen['x-request-id']).to.equal(answer.headers['x-request-id']);
  });

  it('answers 401 and 403 from the route chain before any upstream call', async () => {
    expect((await send(base, '/orders/42')).status).to.equal(401);
    expect((await send(base, '/admin/users', { headers: { authorization: `Bearer ${token()}` } })).status).to.equal(403);
    expect(upstream.seen).to.have.length(0);
  });

  it('never lets a traversal through a public route skip another route’s auth or leave the public prefix', async () => {
    const attempts = [
      '/public/../admin/users',
      '/public/%2e%2e/admin/users',
      '/public/.%2E/admin/users',
      '//public/..//admin/users',
      '/public/..%2Fadmin%2Fusers',
      '/public/..\\admin\\users',
    ];
    const statuses = [];
    for (const path of attempts) statuses.push((await sendRaw(base, path)).status);
    expect(statuses).to.deep.equal([401, 401, 401, 401, 400, 400]);
    expect((await sendRaw(base, '/public/%2e%2e%2fadmin')).status).to.equal(400);
    expect((await sendRaw(base, '/public/a%252F..%252Fadmin')).status).to.equal(200);
    expect(upstream.seen.map((s) => s.url)).to.deep.equal(['/public/a%252F..%252Fadmin']);
  });

  it('answers 405 with Allow and 404 as problem+json', async () => {
    const wrong = await send(base, '/public/x', { method: 'DELETE' });
    expect(wrong.status).to.equal(405);
    expect(wrong.headers.allow).to.equal('GET, HEAD');
    expect(wrong.headers['content-type']).to.match(/^application\/problem\+json/);
    const missing = await send(base, '/nowhere');
    expect(missing.status).to.equal(404);
    expect(missing.headers['content-type']).to.match(/^application\/problem\+json/);
  });

  it('shows the routing-map version in /readyz and as a metric', async () => {
    const ready = await send(base, '/readyz');
    expect(ready.status).to.equal(200);
    const version = bff.routingMapVersion();
    expect((ready.json().info as Record<string, string>).routingMapVersion).to.equal(version);
    const metrics = await send(base, '/metrics');
    expect(metrics.text).to.match(new RegExp(`portico_routing_map_info\\{[^}]*version="${version}"[^}]*\\} 1`));
  });

  it('hot-reloads: in-flight requests finish on the old map, a valid change swaps, an invalid one is logged and ignored', async () => {
    const before = bff.routingMapVersion();
    const inFlight = send(base, '/slow');
    await eventually(async () => upstream.seen.some((s) => s.url === '/slow'));

    writeFileSync(file, ROUTES.replace('path: /slow, upstream: "${ORDER_SERVICE_URL}/slow"', 'path: /slow, upstream: "${ORDER_SERVICE_URL}/fast"'));
    await eventually(async () => bff.routingMapVersion() !== before);
    const after = bff.routingMapVersion();
    expect((await send(base, '/readyz')).json().info).to.deep.include({ routingMapVersion: after });
    expect((await send(base, '/slow')).json()).to.deep.equal({ url: '/fast' });
    releaseSlow();
    expect((await inFlight).json()).to.deep.equal({ from: 'old map' });

    writeFileSync(file, `${ROUTES}  - { id: bad, method: GET, path: /bad, upstream: "http://10.0.0.1/bad" }\n`);
    await eventually(async () => logLines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('routing map rejected')));
    expect(bff.routingMapVersion()).to.equal(after);
    expect((await send(base, '/slow')).json()).to.deep.equal({ url: '/fast' });
    const rejected = logLines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('routing map rejected'));
    expect(rejected?.problems)
      .to.be.an('array')
      .that.satisfies((p: string[]) => p[0]?.startsWith('routes.yaml › bad › upstream:'));
  });
});

describe('createBff start-up failures', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'portico-create-bff-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function problems(routes: string, env: Record<string, string>): Promise<readonly string[]> {
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, routes);
    try {
      const bff = await createBff({ serviceName: 'test-bff', routesFile: file, env: { PORT: '0', LOG_LEVEL: 'silent', ...env }, watch: false, signals: false });
      await bff.close();
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error('createBff started');
  }

  it('refuses a route that needs credentials nobody configured, naming file, route and field', async () => {
    const found = await problems('routes:\n  - { id: get-order, method: GET, path: /o, upstream: "${ORDER_SERVICE_URL}/o" }\n', {
      ORDER_SERVICE_URL: 'http://127.0.0.1:9',
    });
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^routes\.yaml › get-order › policy\.credentials: /);
  });

  it('refuses a missing upstream variable and an unknown handler, naming file, route and field', async () => {
    expect(
      await problems('routes:\n  - { id: get-order, method: GET, path: /o, upstream: "${ORDER_SERVICE_URL}/o", policy: { auth: none } }\n', {}),
    ).to.deep.equal(['routes.yaml › get-order › upstream: environment variable ORDER_SERVICE_URL is not set']);
    expect(await problems('routes:\n  - { id: get-order, method: GET, path: /o, handler: getOrder, policy: { auth: none } }\n', {})).to.deep.equal([
      'routes.yaml › get-order › handler: no handler named "getOrder" (known: none)',
    ]);
  });
});
