import { expect } from 'chai';
import { createServer, get, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '@portico/edge';
import { createBff, type Bff } from '../../src/create-bff';
import { loadRoutingMap } from '../../src/routing-map/load-routing-map';
import { compileRoutingMap } from '../../src/router/compile-routes';
import { createUpstreams, type Upstreams } from '../../src/clients/upstreams';
import { createForwarder, proxyRoute } from '../../src/proxy/proxy-route';
import { composeForwarder, composeHandler, composer } from '../../src/compose/declarative';
import { directRoutes } from '../../src/proxy/direct-route';
import { startUpstream, type TestUpstream } from './proxy-harness';
import { send, type Answer } from './http-client';

const ROUTES = `
routes:
  - { id: pass, method: GET, path: /pass/:id, upstream: "\${U}/pass/:id", policy: { auth: none } }
  - { id: small, method: POST, path: /small, upstream: "\${U}/small", policy: { auth: none, bodyLimit: 10 } }
  - { id: secure, method: GET, path: /secure, upstream: "\${U}/secure", policy: { auth: required } }
  - { id: limited, method: GET, path: /limited, upstream: "\${U}/limited", policy: { auth: none, rateLimit: { limit: 5, per: 1m } } }
  - { id: cached, method: GET, path: /cached, upstream: "\${U}/cached", policy: { auth: none, cache: { ttl: 10s } } }
  - { id: validated, method: POST, path: /validated, upstream: "\${U}/validated", policy: { auth: none, body: { type: object } } }
  - { id: handled, method: GET, path: /handled, handler: hello, policy: { auth: none } }
  - { id: probe, method: GET, path: /livez, upstream: "\${U}/livez", policy: { auth: none } }
  - { id: empty, method: GET, path: /empty, upstream: "\${U}/empty", policy: { auth: none } }
  - { id: broken, method: GET, path: /broken, upstream: "\${U}/broken", policy: { auth: none, retries: 0 } }
  - { id: slow, method: GET, path: /slow, upstream: "\${U}/slow", policy: { auth: none, retries: 0, timeout: 150ms } }
  - { id: big, method: GET, path: /big, upstream: "\${U}/big", policy: { auth: none } }
  - id: composed
    method: GET
    path: /composed/:id
    compose:
      parts:
        - { key: first, upstream: u, path: /pass/:id, required: true }
        - { key: second, upstream: u, path: '/pass/{first.bytes}', fields: [url] }
        - { key: failing, upstream: u, path: /broken }
    policy: { auth: none }
  - id: composed-failing
    method: GET
    path: /composed-failing
    compose: { parts: [{ key: failing, upstream: u, path: /broken, required: true }] }
    policy: { auth: none }
  - id: composed-hang
    method: GET
    path: /composed-hang
    compose: { parts: [{ key: hang, upstream: u, path: /hang, required: true }] }
    policy: { auth: none }
  - id: composed-secure
    method: GET
    path: /composed-secure
    compose: { parts: [{ key: first, upstream: u, path: /pass/1 }] }
    policy: { auth: required }
`;

// 300 KiB without a Content-Length: streamed through, never buffered whole (UpstreamPolicy.bufferBytes is smaller).
const BIG = Buffer.alloc(300 * 1024, 0x7a);

// Resolved, in order, as each request to /hang (which never answers) is closed by the gateway.
const hangClosed: Array<() => void> = [];

function upstreamHandler(): Parameters<typeof startUpstream>[0] {
  return (req, res) => {
    if (req.url === '/hang') return void res.on('close', () => hangClosed.shift()?.());
    if (req.url === '/empty') return void res.writeHead(204, { 'x-from': 'upstream' }).end();
    if (req.url === '/broken') return void res.writeHead(500, { 'content-type': 'text/plain', server: 'secret-host' }).end('stack at /srv/app.js:1');
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1_000);
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(BIG.subarray(0, 100 * 1024));
      return void setTimeout(() => res.end(BIG.subarray(100 * 1024)), 20);
    }
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      const body = JSON.stringify({ url: req.url, bytes });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-from': 'upstream' });
      res.end(body);
    });
  };
}

describe('direct routes: which requests skip the Koa stack', () => {
  let upstream: TestUpstream;
  let upstreams: Upstreams;
  let server: Server;
  let base: string;
  let enabled = true;

  before(async () => {
    upstream = await startUpstream(upstreamHandler());
    const dir = mkdtempSync(join(tmpdir(), 'portico-direct-'));
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, ROUTES);
    const map = loadRoutingMap(file, { U: upstream.url });
    rmSync(dir, { recursive: true, force: true });
    const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
    upstreams = createUpstreams({ u: { url: upstream.url } }, { logger: silent });
    const proxyDeps = { upstreams, trustedProxyHops: 0, defaultBodyLimit: 1_048_576 };
    const noop = async (_ctx: unknown, next: () => Promise<unknown>) => void (await next());
    const compileDeps: Parameters<typeof compileRoutingMap>[1] = {
      handlers: { hello: noop },
      defaultBodyLimit: 1_048_576,
      // Stands in for createBff's policyChain: one step per edge function the route declares.
      policyChain: (route) => [...(route.policy.auth !== 'none' ? [noop] : []), ...(route.policy.rateLimit ? [noop] : []), ...(route.policy.cache ? [noop] : [])],
      proxy: (route) => proxyRoute(route, proxyDeps),
      direct: (route) => (route.compose ? composeForwarder(composer(route.compose, { upstreams }), silent) : createForwarder(route, proxyDeps)),
      compose: (route) => composeHandler(route.compose!, { upstreams }),
    };
    const compiled = compileRoutingMap(map, compileDeps);
    expect(compiled.hasDirect).to.equal(true);
    // Without a direct route in the map, the front handler stops at its first check.
    const guardedOnly = { ...map, routes: map.routes.filter((route) => route.policy.auth !== 'none') };
    expect(compileRoutingMap(guardedOnly, { ...compileDeps }).hasDirect).to.equal(false);
    const front = directRoutes({
      current: () => compiled,
      logger: silent,
      metrics: createMetrics({ serviceName: 'direct-test', defaultMetrics: false }),
      maxBodyBytes: Number.MAX_SAFE_INTEGER,
      defaultBodyLimit: 1_048_576,
      trustedProxyHops: 0,
      enabled: () => enabled,
    });
    // The app stand-in answers 299 "app", so each answer tells who took the request.
    server = createServer((req, res) => {
      if (front(req, res)) return;
      req.resume();
      res.writeHead(299, { 'content-type': 'text/plain' }).end('app');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await upstreams.close();
    await upstream.close();
  });
  beforeEach(() => {
    enabled = true;
    upstream.seen.length = 0;
  });

  it('takes a proxied route with no edge functions, GET and HEAD, and forwards it', async () => {
    const got = await send(base, '/pass/7?q=1');
    expect(got.status).to.equal(200);
    expect(got.json()).to.deep.equal({ url: '/pass/7?q=1', bytes: 0 });
    expect((await send(base, '/pass/7', { method: 'HEAD' })).status).to.equal(200);
    expect(upstream.seen.map((s) => `${s.method} ${s.url}`)).to.deep.equal(['GET /pass/7?q=1', 'HEAD /pass/7']);
  });

  it('takes a compose route with no edge functions and answers the composed body', async () => {
    const got = await send(base, '/composed/7');
    expect(got.status).to.equal(200);
    expect(got.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(got.json()).to.deep.equal({
      first: { url: '/pass/7', bytes: 0 },
      failing: null,
      second: { url: '/pass/0' },
      _errors: [{ part: 'failing', status: 502, title: 'Upstream failed' }],
    });
    expect(upstream.seen.map((s) => `${s.method} ${s.url}`).sort()).to.deep.equal(['GET /broken', 'GET /pass/0', 'GET /pass/7']);
  });

  it("aborts a direct composition's upstream calls when the client goes away", async () => {
    const closed = new Promise<void>((resolve) => hangClosed.push(resolve));
    const req = get(`${base}/composed-hang`);
    req.on('error', () => undefined);
    for (let i = 0; i < 100 && !upstream.seen.some((s) => s.url === '/hang'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(upstream.seen.map((s) => s.url)).to.deep.equal(['/hang']);
    req.destroy();
    const outcome = await Promise.race([closed.then(() => 'aborted'), new Promise((resolve) => setTimeout(() => resolve('still open'), 2_000))]);
    expect(outcome).to.equal('aborted');
  });

  it('leaves routes with an edge function, a body schema or a handler, and probe paths, to the app', async () => {
    for (const [method, path] of [['GET', '/composed-secure'], ['GET', '/secure'], ['GET', '/limited'], ['GET', '/cached'], ['POST', '/validated'], ['GET', '/handled'], ['GET', '/livez']] as const) {
      const answer = await send(base, path, { method, headers: method === 'POST' ? { 'content-type': 'application/json' } : {}, body: method === 'POST' ? '{}' : undefined });
      expect(answer.status, `${method} ${path}`).to.equal(299);
    }
    expect(upstream.seen).to.have.length(0);
  });

  it('leaves unmatched paths, wrong methods, refused requests and oversized bodies to the app, which answers them', async () => {
    const attempts: Array<[string, string, Record<string, string>, string | undefined]> = [
      ['GET', '/nowhere', {}, undefined],
      ['DELETE', '/pass/1', {}, undefined],
      ['GET', '/pass/1', { x_user: 'admin' }, undefined],
      ['GET', '/pass/%2f..%2fsecure', {}, undefined],
      ['POST', '/small', { 'content-type': 'text/plain' }, 'x'.repeat(11)],
    ];
    for (const [method, path, headers, body] of attempts) {
      expect((await send(base, path, { method, headers, body })).status, `${method} ${path}`).to.equal(299);
    }
    expect(upstream.seen).to.have.length(0);
    const within = await send(base, '/small', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(10) });
    expect(within.status).to.equal(200);
    expect(within.json()).to.deep.equal({ url: '/small', bytes: 10 });
  });

  it('takes nothing while disabled (a service with CORS or mounted middleware)', async () => {
    enabled = false;
    expect((await send(base, '/pass/1')).status).to.equal(299);
    expect(upstream.seen).to.have.length(0);
  });
});

describe('direct routes: the same answers, metrics and access line as the Koa chain', function () {
  this.timeout(20_000);
  let upstream: TestUpstream;
  let dir: string;
  const bffs: Record<'direct' | 'chain', { bff: Bff; base: string; lines: Array<Record<string, unknown>> }> = {} as never;

  before(async () => {
    upstream = await startUpstream(upstreamHandler());
    dir = mkdtempSync(join(tmpdir(), 'portico-direct-bff-'));
    const file = join(dir, 'routes.yaml');
    // createBff refuses maps with handlers it was not given and routes that need a JWT setup: only the proxied ones.
    writeFileSync(file, ROUTES.replace(/ {2}- id: composed-secure[^]*$/, '').split('\n').filter((line) => !/id: (secure|handled|validated)\b/.test(line)).join('\n'));
    for (const name of ['direct', 'chain'] as const) {
      const lines: Array<Record<string, unknown>> = [];
      const bff = await createBff({
        serviceName: `direct-${name}`,
        routesFile: file,
        env: { PORT: '0', NODE_ENV: 'test', LOG_LEVEL: 'info', U: upstream.url },
        signals: false,
        watch: false,
        logDestination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      });
      // Mounted middleware must see every request, so this BFF serves every route through the Koa chain.
      if (name === 'chain') bff.mount('pass-through', { middleware: (_ctx, next) => next() });
      const server = await bff.listen(0, '127.0.0.1');
      bffs[name] = { bff, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines };
    }
  });
  after(async () => {
    for (const { bff } of Object.values(bffs)) await bff.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a counterpart for every app-wide step of the Koa chain (a new step must get one, or turn direct routes off)', () => {
    // What direct-route.ts does for each: serverSpan and tracing, nothing (a traced request goes to the app);
    // requestContextMiddleware, requestIdOf + clientAddressFrom + logAccess; problemJson, logFailure + writeProblem;
    // requestMetrics, the inflight gauge + recordRequest; health, RESERVED paths go to the app; requestGuard,
    // checkRequest + the route's body limit; mountedExtensions, enabled() is false while anything is mounted (CORS
    // too, mounted before it); router, the same compiled table.
    expect(bffs.direct.bff.app.middleware.map((fn) => fn.name)).to.deep.equal([
      'serverSpan',
      'requestContextMiddleware',
      'problemJson',
      'requestMetrics',
      'tracing',
      'health',
      'requestGuard',
      'mountedExtensions',
      'router',
    ]);
  });

  /** What a client can tell apart: status, the headers that describe the answer, and the body (request ids aside). */
  function shape(answer: Answer): Record<string, unknown> {
    const headers = ['content-type', 'content-length', 'transfer-encoding', 'x-from', 'server', 'retry-after'];
    // The deadline's budget is measured from when the route started: a millisecond either way is not a difference.
    const problem = (json: Record<string, unknown>) => ({ ...json, requestId: typeof json.requestId, detail: String(json.detail).replace(/\d+ ms/, 'N ms') });
    const body = answer.headers['content-type']?.startsWith('application/problem+json') ? problem(answer.json()) : answer.text;
    return { status: answer.status, headers: Object.fromEntries(headers.map((h) => [h, answer.headers[h]])), body };
  }

  it('answers every kind of upstream answer and fault exactly as the chain does', async () => {
    const cases: Array<[string, string]> = [
      ['GET', '/pass/1?a=b'],
      ['HEAD', '/pass/1'],
      ['GET', '/empty'],
      ['GET', '/broken'],
      ['GET', '/slow'],
      ['GET', '/big'],
      ['GET', '/nowhere'],
      ['POST', '/pass/1'],
      ['GET', '/composed/3'],
      ['HEAD', '/composed/3'],
      ['GET', '/composed/3?fields=first.url,second'],
      ['GET', '/composed/3?fields=first.nope'],
      ['GET', '/composed-failing'],
    ];
    for (const [method, path] of cases) {
      const direct = await send(bffs.direct.base, path, { method });
      const chain = await send(bffs.chain.base, path, { method });
      expect(shape(direct), `${method} ${path}`).to.deep.equal(shape(chain));
    }
    const big = await send(bffs.direct.base, '/big');
    expect(big.text.length).to.equal(BIG.length);
    const broken = await send(bffs.direct.base, '/broken');
    expect(broken.status).to.equal(502);
    expect(broken.text).to.not.contain('secret-host').and.not.contain('/srv/app.js');
    expect((await send(bffs.direct.base, '/slow')).status).to.equal(504);
  });

  it('keeps a valid incoming X-Request-Id, replaces an invalid one, and sends the id upstream', async () => {
    upstream.seen.length = 0;
    const kept = await send(bffs.direct.base, '/pass/2', { headers: { 'x-request-id': 'client-id-42' } });
    expect(kept.headers['x-request-id']).to.equal('client-id-42');
    expect(upstream.seen[0]?.headers['x-request-id']).to.equal('client-id-42');
    const replaced = await send(bffs.direct.base, '/pass/2', { headers: { 'x-request-id': 'bad id\u00e9' } });
    expect(replaced.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('counts requests by route template and writes one access line per request, as the chain does', async () => {
    const count = (metrics: string, route: string, status: string): number => {
      const line = metrics.split('\n').find((l) => l.startsWith('http_requests_total{') && l.includes(`route="${route}",method="GET",status="${status}"`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    for (const name of ['direct', 'chain'] as const) {
      const { base, lines } = bffs[name];
      const before = (await send(base, '/metrics')).text;
      lines.length = 0;
      const answer = await send(base, '/pass/99', { headers: { 'x-request-id': `line-${name}` } });
      await send(base, '/broken');
      const access = lines.filter((l) => l.msg === 'request');
      expect(access, name).to.have.length(2);
      expect(answer.headers['content-length']).to.equal('28');
      expect(access[0]).to.include({ requestId: `line-${name}`, method: 'GET', status: 200, bytes: 28, rateLimited: false });
      expect(access[0]?.route).to.deep.equal({ id: 'pass', template: '/pass/:id' });
      expect(access[1]).to.include({ status: 502, level: 'warn' });
      expect(lines.filter((l) => l.msg === 'request failed'), name).to.have.length(1);
      const after = (await send(base, '/metrics')).text;
      expect(count(after, '/pass/:id', '200') - count(before, '/pass/:id', '200'), name).to.equal(1);
      expect(count(after, '/broken', '502') - count(before, '/broken', '502'), name).to.equal(1);
      expect(after, name).to.match(/^http_requests_in_flight(\{[^}]*\})? 0$/m);
      expect(after, name).to.not.contain('/pass/99');
    }
  });
});
