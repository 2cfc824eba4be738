import { expect } from 'chai';
import Koa from 'koa';
import http, { IncomingMessage, ServerResponse, type Server } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { EdgeError, problemMiddleware } from '../../src/errors';
import { applyServerTimeouts, handleClientError, requestGuards, serverOptions } from '../../src/guards';
import type { EdgeState } from '../../src/state';
import { rawRequest, type RawResponse } from './raw-http';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
const MAX_BODY = 1024;

describe('requestGuards', () => {
  let server: Server;
  let port: number;
  let terminalHits = 0;
  // Recorded by an outer middleware once next() resolved.
  let afterNext: { status: number; error?: string; bodyTouched: boolean } | undefined;

  before(async () => {
    const app = new Koa<EdgeState>();
    app.use(problemMiddleware());
    app.use(async (ctx, next) => {
      try {
        await next();
        afterNext = { status: ctx.status, bodyTouched: ctx.req.readableDidRead };
      } catch (err) {
        afterNext = { status: (err as EdgeError).status, error: (err as EdgeError).code, bodyTouched: ctx.req.readableDidRead };
        throw err;
      }
    });
    app.use(requestGuards({ trustedProxyHops: 0, maxBodyBytes: MAX_BODY }));
    app.use(async (ctx) => {
      terminalHits += 1;
      let bytes = 0;
      for await (const chunk of ctx.req) bytes += (chunk as Buffer).length;
      ctx.body = { path: ctx.path, bytes };
    });
    server = handleClientError(applyServerTimeouts(http.createServer(serverOptions(), app.callback())), silent);
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    terminalHits = 0;
    afterNext = undefined;
  });

  const get = (target: string, extra = '', version = '1.1'): Promise<RawResponse> =>
    rawRequest(port, `GET ${target} HTTP/${version}\r\nHost: portico.test\r\n${extra}Connection: close\r\n\r\n`);

  function expectProblem(res: RawResponse, status: number, type: string, detail?: RegExp): void {
    expect(res.status, res.body).to.equal(status);
    expect(res.headers['content-type']).to.equal('application/problem+json');
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body.type).to.equal(`urn:portico:problem:${type}`);
    expect(body.status).to.equal(status);
    if (detail) expect(body.detail).to.match(detail);
    expect(terminalHits, 'the terminal handler must not run').to.equal(0);
  }

  it('lets an ordinary request through and sees its answer after next()', async () => {
    const res = await get('/orders/42?fields=id');
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ path: '/orders/42', bytes: 0 });
    expect(terminalHits).to.equal(1);
    expect(afterNext?.status).to.equal(200);
  });

  it('refuses two Host headers with 400 INVALID_HEADER and closes the connection', async () => {
    const res = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: portico.test\r\nHost: evil.test\r\n\r\n');
    expectProblem(res, 400, 'invalid-header', /more than one Host/);
    expect(res.headers.connection).to.equal('close');
    expect(res.closed).to.equal(true);
    expect(afterNext).to.deep.equal({ status: 400, error: 'INVALID_HEADER', bodyTouched: false });
  });

  it('refuses an HTTP/1.1 request without Host, but not an HTTP/1.0 one', async () => {
    expectProblem(await rawRequest(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'), 400, 'invalid-header', /must carry a Host/);
    const old = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(old.status).to.equal(200);
  });

  it('refuses a header name containing an underscore', async () => {
    expectProblem(await get('/', 'X_User_Id: admin\r\n'), 400, 'invalid-header', /"x_user_id" contains an underscore/);
  });

  it('refuses Transfer-Encoding on HTTP/1.0', async () => {
    const res = await rawRequest(port, 'POST / HTTP/1.0\r\nHost: portico.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    expectProblem(res, 400, 'invalid-header', /HTTP\/1\.0/);
    expect(res.closed).to.equal(true);
  });

  it('refuses a request carrying both Transfer-Encoding and Content-Length', async () => {
    const res = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: portico.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    // Node's parser or the guard refuses it; either way the client gets problem+json, never the terminal.
    expectProblem(res, 400, 'invalid-header');
  });

  it('answers 414 URI_TOO_LONG past 8 KiB and accepts exactly 8 KiB', async () => {
    const exact = `/${'a'.repeat(8191)}`;
    expect((await get(exact)).status).to.equal(200);
    terminalHits = 0;
    expectProblem(await get(`${exact}b`), 414, 'uri-too-long', /8192 bytes/);
  });

  it('answers 431 past 100 header fields and accepts exactly 100', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-Field-${i}: v\r\n`).join('');
    // Host and Connection make two of the hundred.
    expect((await get('/', fields(98))).status).to.equal(200);
    terminalHits = 0;
    expectProblem(await get('/', fields(99)), 431, 'headers-too-large', /more than 100 header fields/);
    expectProblem(await get('/', fields(150)), 431, 'headers-too-large');
  });

  it('answers 413 for a Content-Length over the limit before anything reads the body', async () => {
    // Only the head is sent: the answer cannot depend on reading (or waiting for) the 10 MiB body.
    const started = Date.now();
    const res = await rawRequest(port, 'POST /upload HTTP/1.1\r\nHost: portico.test\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{"a":');
    expectProblem(res, 413, 'payload-too-large', /10485760 bytes\) exceeds the limit of 1024 bytes/);
    expect(Date.now() - started).to.be.lessThan(1000);
    expect(afterNext).to.deep.equal({ status: 413, error: 'PAYLOAD_TOO_LARGE', bodyTouched: false });
    expect(res.headers.connection).to.equal('close');
    expect(res.closed).to.equal(true);
  });

  it('accepts a body of exactly the limit', async () => {
    const res = await rawRequest(port, `POST /upload HTTP/1.1\r\nHost: portico.test\r\nContent-Length: ${MAX_BODY}\r\nConnection: close\r\n\r\n${'x'.repeat(MAX_BODY)}`);
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ path: '/upload', bytes: MAX_BODY });
  });

  it('answers a Content-Length that is not a plain integer with 400 problem+json', async () => {
    for (const value of ['+5', '5.0', '0x5', '5, 5', '-1']) {
      const res = await rawRequest(port, `POST / HTTP/1.1\r\nHost: portico.test\r\nContent-Length: ${value}\r\n\r\nhello`);
      expectProblem(res, 400, 'invalid-header', /Content-Length/);
      expect(res.closed, value).to.equal(true);
    }
  });

  describe('unsafe paths → 400 INVALID_PATH', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['encoded slash', '/orders/1%2F..%2Fadmin', /encoded slash/],
      ['encoded slash, lower case', '/orders/1%2f..', /encoded slash/],
      ['encoded backslash', '/orders/1%5C..', /encoded backslash/],
      ['encoded backslash, lower case', '/orders/1%5c..', /encoded backslash/],
      ['encoded NUL', '/orders/1%00.json', /encoded NUL/],
      ['raw backslash', '/orders\\..\\admin', /backslash/],
      ['invalid percent-encoding', '/orders/%zz', /two hex digits/],
      ['truncated percent-encoding', '/orders/%4', /two hex digits/],
      ['overlong UTF-8', '/orders/%C0%AF', /valid UTF-8/],
      ['lone continuation byte', '/caf%A9', /valid UTF-8/],
      ['encoded newline', '/orders/1%0d%0aSet-Cookie:x', /control characters/],
      ['encoded DEL', '/orders/%7F', /control characters/],
      ['encoded C1 control', '/orders/%C2%85', /control characters/],
      ['absolute-form with an encoded slash', 'http://portico.test/a%2Fb', /encoded slash/],
    ];
    for (const [name, target, detail] of cases) {
      it(`refuses ${name}: ${target}`, async () => {
        expectProblem(await get(target), 400, 'invalid-path', detail);
        expect(afterNext?.error).to.equal('INVALID_PATH');
      });
    }

    it('refuses a raw control character in the path (Node refuses it first, still as problem+json)', async () => {
      const res = await rawRequest(port, 'GET /orders/\x01 HTTP/1.1\r\nHost: portico.test\r\n\r\n');
      expectProblem(res, 400, 'invalid-path');
    });

    it('lets encoded UTF-8, reserved characters and anything in the query through', async () => {
      for (const target of ['/caf%C3%A9/orders', '/orders/a%20b', '/search?next=%2F..%5C%00', 'http://portico.test/orders/1', '*']) {
        const res = await get(target);
        expect(res.status, target).to.equal(200);
      }
      expect(terminalHits).to.equal(5);
    });
  });

  it('throws an EdgeError for a malformed Content-Length even where the parser was lenient', async () => {
    const req = new IncomingMessage(new Socket());
    req.url = '/';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.rawHeaders = ['Host', 'portico.test', 'Content-Length', '1e3'];
    req.headers = { host: 'portico.test', 'content-length': '1e3' };
    const app = new Koa<EdgeState>();
    const ctx = app.createContext<EdgeState>(req, new ServerResponse(req));
    let reached = false;
    const guard = requestGuards({ trustedProxyHops: 0, maxBodyBytes: MAX_BODY });
    // Run as koa-compose runs a layer: a synchronous throw and a rejection are the same failure.
    const thrown = await Promise.resolve()
      .then(() =>
        guard(ctx, async () => {
          reached = true;
        }),
      )
      .then(() => undefined, (err: unknown) => err);
    expect(thrown).to.be.instanceOf(EdgeError);
    expect((thrown as EdgeError).code).to.equal('INVALID_HEADER');
    expect(reached).to.equal(false);
  });
});
