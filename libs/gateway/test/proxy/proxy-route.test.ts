import { expect } from 'chai';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { PROXY_PATHS, proxyVia, startUpstream, type TestProxy, type TestUpstream } from './proxy-harness';
import { send, sendRaw } from './http-client';

const ROUTES = `
routes:
  - { id: get-order, method: GET, path: /orders/:orderId, upstream: "\${ORDER_URL}/v1/orders/:orderId", policy: { auth: none } }
  - { id: create-order, method: POST, path: /orders, upstream: "\${ORDER_URL}/v1/orders", policy: { auth: none } }
  - { id: get-file, method: GET, path: /files/*rest, upstream: "\${ORDER_URL}/static/*rest", policy: { auth: none } }
  - { id: legacy, method: GET, path: /legacy/report, upstream: "\${ORDER_URL}", rewrite: { stripPrefix: /legacy, addPrefix: /v0 }, policy: { auth: none } }
  - { id: with-auth, method: GET, path: /pass/:id, upstream: "\${ORDER_URL}/pass/:id", forwardAuthorization: true, policy: { auth: none } }
  - { id: slow, method: GET, path: /slow, upstream: "\${ORDER_URL}/slow", policy: { auth: none, timeout: 300ms, retries: 0 } }
  - { id: hold, method: GET, path: /hold, upstream: "\${ORDER_URL}/hold", policy: { auth: none, retries: 0 } }
  - { id: validated, method: POST, path: /validated, upstream: "\${ORDER_URL}/validated", policy: { auth: none, body: { type: object, properties: { qty: { type: integer } }, required: [qty] } } }
  - { id: fail, method: GET, path: /fail, upstream: "\${ORDER_URL}/fail", policy: { auth: none, retries: 0 } }
`;

for (const via of PROXY_PATHS) describe(`proxyRoute ${via.label}`, () => {
  const startProxy = proxyVia(via);
  let upstream: TestUpstream;
  let proxy: TestProxy;
  let aborted: Promise<void>;
  let markAborted: () => void;

  before(async () => {
    aborted = new Promise((resolve) => (markAborted = resolve));
    upstream = await startUpstream((req, res) => {
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000).unref();
        return;
      }
      if (req.url === '/hold') {
        res.on('close', () => markAborted());
        return;
      }
      if (req.url === '/fail') {
        res.writeHead(500, { 'content-type': 'text/plain', 'x-internal-host': 'db-7.internal' });
        res.end('stack trace at db-7.internal:5432');
        return;
      }
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', server: 'order-service/1.2', 'x-powered-by': 'Express' });
        res.end(JSON.stringify(body ? { url: req.url, body, type: req.headers['content-type'] } : { url: req.url }));
      });
    });
    proxy = await startProxy(ROUTES, { ORDER_URL: upstream.url });
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });
  beforeEach(() => (upstream.seen.length = 0));

  it('forwards to the upstream path template with the parameter re-encoded and the query passed through', async () => {
    const answer = await send(proxy.url, '/orders/a%20b?expand=items&x=%2F');
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.equal({ url: '/v1/orders/a%20b?expand=items&x=%2F' });
    expect(answer.headers['server']).to.equal(undefined);
    expect(answer.headers['x-powered-by']).to.equal(undefined);
  });

  it('forwards a catch-all segment by segment and applies rewrite prefixes', async () => {
    expect((await send(proxy.url, '/files/a/b%20c/d.txt')).json()).to.deep.equal({ url: '/static/a/b%20c/d.txt' });
    expect((await send(proxy.url, '/legacy/report?q=1')).json()).to.deep.equal({ url: '/v0/report?q=1' });
  });

  it('normalises dot segments and doubled slashes before matching, so traversal never leaves the route prefix', async () => {
    const raw = await sendRaw(proxy.url, '//orders//42');
    expect(raw.json()).to.deep.equal({ url: '/v1/orders/42' });
    expect((await send(proxy.url, '/files/a/../b')).json()).to.deep.equal({ url: '/static/b' });
    expect((await send(proxy.url, '/files/a/%2e%2e/%2E%2E/admin')).status).to.equal(404);
    expect((await send(proxy.url, '/orders/../admin')).status).to.equal(404);
    expect((await send(proxy.url, '/orders/%2e%2e/admin')).status).to.equal(404);
    expect((await send(proxy.url, '/orders/%252e%252e')).json()).to.deep.equal({ url: '/v1/orders/%252e%252e' });
    expect(upstream.seen.map((s) => s.url)).to.deep.equal(['/v1/orders/42', '/static/b', '/v1/orders/%252e%252e']);
  });

  it('refuses encoded slashes, backslashes and climbing above root with 400 problem+json and no upstream hit', async () => {
    for (const path of ['/orders/..%2Fadmin', '/orders/a%2Fb', '/orders/a%5Cb', '/orders\\..\\admin', '/orders/%00', '/../orders/1', '//..//orders/1']) {
      const answer = await sendRaw(proxy.url, path);
      expect(answer.status, path).to.equal(400);
      expect(answer.headers['content-type'], path).to.match(/^application\/problem\+json/);
      expect(answer.json().type, path).to.equal('urn:portico:problem:invalid-path');
    }
    expect(upstream.seen).to.have.length(0);
  });

  it('checks a declared body schema before calling the upstream, then forwards the same JSON', async () => {
    const bad = await send(proxy.url, '/validated', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"extra":1}' });
    expect(bad.status).to.equal(422);
    expect(upstream.seen).to.have.length(0);
    const good = await send(proxy.url, '/validated', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{ "qty": 2, "extra": 1 }' });
    expect(good.json()).to.deep.equal({ url: '/validated', body: '{"qty":2,"extra":1}', type: 'application/json' });
  });

  it('keeps Authorization and X-API-Key from the upstream unless the route forwards them', async () => {
    await send(proxy.url, '/orders/1', { headers: { authorization: 'Bearer secret-token', 'x-api-key': 'pk_abc' } });
    await send(proxy.url, '/pass/1', { headers: { authorization: 'Bearer secret-token' } });
    expect(upstream.seen[0]?.headers.authorization).to.equal(undefined);
    expect(upstream.seen[0]?.headers['x-api-key']).to.equal(undefined);
    expect(upstream.seen[1]?.headers.authorization).to.equal('Bearer secret-token');
  });

  it('answers an upstream timeout with 504 problem+json within the route timeout', async () => {
    const started = Date.now();
    const answer = await send(proxy.url, '/slow');
    expect(answer.status).to.equal(504);
    expect(Date.now() - started).to.be.below(1500);
    expect(answer.json().type).to.match(/^urn:portico:problem:(upstream-timeout|deadline-exceeded)$/);
    expect(answer.text).to.not.contain('127.0.0.1');
  });

  it('maps an upstream 5xx to 502 without its body or internal headers', async () => {
    const answer = await send(proxy.url, '/fail');
    expect(answer.status).to.equal(502);
    expect(answer.json().type).to.equal('urn:portico:problem:upstream-error');
    expect(answer.text).to.not.contain('db-7');
    expect(answer.headers['x-internal-host']).to.equal(undefined);
  });

  it('aborts the upstream request when the client goes away', async () => {
    const url = new URL(proxy.url);
    const req = request({ host: url.hostname, port: url.port, path: '/hold', agent: false });
    req.on('error', () => undefined);
    req.end();
    while (upstream.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    req.destroy();
    const result = await Promise.race([aborted.then(() => 'aborted'), new Promise((resolve) => setTimeout(() => resolve('still open'), 2000))]);
    expect(result).to.equal('aborted');
  });
});

for (const via of PROXY_PATHS) describe(`proxyRoute with an unreachable or broken upstream ${via.label}`, () => {
  const startProxy = proxyVia(via);
  let garbage: TcpServer;
  let garbageUrl: string;
  let deadUrl: string;

  before(async () => {
    garbage = createTcpServer((socket) => {
      socket.on('data', () => socket.end('HTTP/1.1 2x0 Whatever\r\nContent-Length: nope\r\n\r\n'));
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });
  after(() => new Promise<void>((resolve) => garbage.close(() => resolve())));

  const routes = 'routes:\n  - { id: get-thing, method: GET, path: /thing, upstream: "${THING_URL}/thing", policy: { auth: none, retries: 0 } }\n';

  it('answers 502 problem+json for a refused connection, naming the service but not its host', async () => {
    const proxy = await startProxy(routes, { THING_URL: deadUrl });
    try {
      const answer = await send(proxy.url, '/thing', { headers: { 'x-request-id': 'req-1' } });
      expect(answer.status).to.equal(502);
      expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(answer.headers['x-request-id']).to.equal('req-1');
      expect(answer.json()).to.include({ type: 'urn:portico:problem:upstream-unreachable', requestId: 'req-1' });
      expect(answer.text).to.not.contain('127.0.0.1').and.not.contain(new URL(deadUrl).port);
    } finally {
      await proxy.close();
    }
  });

  it('answers 503 with Retry-After once the circuit is open, without calling the upstream', async () => {
    const proxy = await startProxy(routes, { THING_URL: deadUrl }, { upstreamPolicy: { breaker: { minimumCalls: 2, failureRatio: 0.5, openMs: 30_000 } } });
    try {
      expect((await send(proxy.url, '/thing')).status).to.equal(502);
      expect((await send(proxy.url, '/thing')).status).to.equal(502);
      const answer = await send(proxy.url, '/thing');
      expect(answer.status).to.equal(503);
      expect(answer.headers['retry-after']).to.match(/^\d+$/);
      expect(answer.json().type).to.equal('urn:portico:problem:circuit-open');
      expect(answer.text).to.not.contain('127.0.0.1');
    } finally {
      await proxy.close();
    }
  });

  it('answers 502 for a malformed upstream response', async () => {
    const proxy = await startProxy(routes, { THING_URL: garbageUrl });
    try {
      const answer = await send(proxy.url, '/thing');
      expect(answer.status).to.equal(502);
      expect(answer.json().type).to.equal('urn:portico:problem:upstream-bad-response');
    } finally {
      await proxy.close();
    }
  });
});
