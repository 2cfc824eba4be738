import { expect } from 'chai';
import Koa from 'koa';
import http, { type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { problemMiddleware } from '../../src/errors';
import { applyServerTimeouts, clientErrorResponse, handleClientError, requestGuards, serverOptions, SERVER_LIMITS } from '../../src/guards';
import type { EdgeState } from '../../src/state';
import { rawRequest } from './raw-http';

function capturingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown> }> = [];
  const push = (level: string) => (obj: object) => lines.push({ level, obj: obj as Record<string, unknown> });
  const logger = { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error'), child: () => logger };
  return logger;
}

describe('serverOptions and applyServerTimeouts', () => {
  it('carry the EDGE-DEFAULTS limits: 16 KiB headers, 10 s headers, 30 s request, 65 s keep-alive', () => {
    expect(serverOptions()).to.include({
      maxHeaderSize: 16_384,
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 65_000,
      insecureHTTPParser: false,
      requireHostHeader: false,
    });
    const server = http.createServer(serverOptions());
    expect(server.keepAliveTimeout).to.equal(65_000);
    expect(server.headersTimeout).to.equal(10_000);
    expect(server.requestTimeout).to.equal(30_000);
  });

  it('sets the timeouts on a server built without options, keeping headers ≤ requests and keep-alive above a 60 s balancer', () => {
    const server = applyServerTimeouts(http.createServer());
    expect(server.keepAliveTimeout).to.equal(65_000);
    expect(server.headersTimeout).to.equal(10_000);
    expect(server.requestTimeout).to.equal(30_000);
    expect(server.headersTimeout).to.be.at.most(server.requestTimeout);
    expect(server.keepAliveTimeout).to.be.greaterThan(60_000);
    // One more than the 100-field limit, so requestGuards sees the 101st field instead of Node dropping it.
    expect(server.maxHeadersCount).to.equal(SERVER_LIMITS.maxHeadersCount + 1);
  });
});

describe('handleClientError', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  const logger = capturingLogger();

  before(async () => {
    const app = new Koa<EdgeState>();
    app.use(problemMiddleware());
    app.use(requestGuards({ trustedProxyHops: 0, maxBodyBytes: 1024 }));
    app.use((ctx) => {
      hits += 1;
      ctx.body = { ok: true };
    });
    server = handleClientError(applyServerTimeouts(http.createServer(serverOptions(), app.callback())), logger);
    // Short enough for a test; the default is 10 s.
    server.headersTimeout = 300;
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => (hits = 0));

  it('answers a header block over 16 KiB with 431 problem+json and Connection: close, never reaching Koa', async () => {
    const big = `X-Big: ${'a'.repeat(17_000)}\r\n`;
    const res = await rawRequest(port, `GET / HTTP/1.1\r\nHost: portico.test\r\n${big}\r\n`);
    expect(res.status).to.equal(431);
    expect(res.headers['content-type']).to.equal('application/problem+json');
    expect(res.headers.connection).to.equal('close');
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(JSON.parse(res.body)).to.deep.equal({
      type: 'urn:portico:problem:headers-too-large',
      title: 'Request header fields too large',
      status: 431,
      detail: 'the request header block exceeds 16384 bytes',
    });
    expect(res.closed).to.equal(true);
    expect(hits).to.equal(0);
    expect(logger.lines.some((l) => l.obj.code === 'HPE_HEADER_OVERFLOW')).to.equal(true);
  });

  it('accepts a header block just under 16 KiB', async () => {
    const res = await rawRequest(port, `GET / HTTP/1.1\r\nHost: portico.test\r\nX-Big: ${'a'.repeat(15_000)}\r\nConnection: close\r\n\r\n`);
    expect(res.status).to.equal(200);
    expect(hits).to.equal(1);
  });

  it('answers unparseable requests with 400 problem+json', async () => {
    const res = await rawRequest(port, 'GARBAGE\r\n\r\n');
    expect(res.status).to.equal(400);
    expect(res.headers['content-type']).to.equal('application/problem+json');
    expect(JSON.parse(res.body)).to.include({ type: 'urn:portico:problem:bad-request', status: 400 });
    expect(res.closed).to.equal(true);
  });

  it('answers a client that stops sending headers with 408 problem+json once headersTimeout passes', async () => {
    const res = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: portico.test\r\nX-Slow: ', { timeoutMs: 4000 });
    expect(res.status).to.equal(408);
    expect(JSON.parse(res.body)).to.include({ type: 'urn:portico:problem:request-timeout', status: 408 });
    expect(hits).to.equal(0);
  });

  it('does not throw when the socket is already gone', () => {
    const socket = new net.Socket();
    socket.destroy();
    const err = Object.assign(new Error('Parse Error'), { code: 'HPE_HEADER_OVERFLOW' });
    expect(() => server.emit('clientError', err, socket)).not.to.throw();
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(() => server.emit('clientError', reset, new net.Socket())).not.to.throw();
  });

  it('maps parser errors to catalogue codes with a matching status line and body length', () => {
    const cases: Array<[string | undefined, number, string]> = [
      ['HPE_HEADER_OVERFLOW', 431, 'headers-too-large'],
      ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request-timeout'],
      ['HPE_INVALID_URL', 400, 'invalid-path'],
      ['HPE_INVALID_CONTENT_LENGTH', 400, 'invalid-header'],
      ['HPE_INVALID_METHOD', 400, 'bad-request'],
      [undefined, 400, 'bad-request'],
    ];
    for (const [code, status, type] of cases) {
      const text = clientErrorResponse(code);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).to.include(`Content-Length: ${Buffer.byteLength(body)}`);
      expect(JSON.parse(body)).to.include({ type: `urn:portico:problem:${type}`, status });
    }
  });
});
