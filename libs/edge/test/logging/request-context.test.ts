import { expect } from 'chai';
import Koa from 'koa';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, requestContext } from '../../src/logging';
import { EdgeError, problemMiddleware } from '../../src/errors';
import type { EdgeState } from '../../src/state';

type Line = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function startApp(trustedProxyHops: number): Promise<{ server: Server; base: string; raw: string[]; lines: () => Line[]; seen: Array<Partial<EdgeState>> }> {
  const raw: string[] = [];
  const seen: Array<Partial<EdgeState>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ serviceName: 'test-bff', level: 'debug' }, stream);
  const app = new Koa<EdgeState>();
  app.silent = true;
  app.use(requestContext({ logger, trustedProxyHops }));
  app.use(problemMiddleware());
  app.use(async (ctx, next) => {
    seen.push({ requestId: ctx.state.requestId, clientAddress: ctx.state.clientAddress, log: ctx.state.log });
    if (ctx.path.startsWith('/orders/')) ctx.state.route = { id: 'get-order', template: '/orders/:orderId' };
    await next();
  });
  app.use(async (ctx) => {
    if (ctx.path === '/orders/42') {
      ctx.state.principal = { kind: 'jwt', issuer: 'https://id.example', subject: 'user-7', scopes: [], roles: [], clientId: 'mobile-app' };
      ctx.state.cache = 'MISS';
      ctx.state.rateLimit = { policy: 'orders', allowed: true, remaining: 9 };
      ctx.body = { id: '42' };
    } else if (ctx.path === '/orders/limited') {
      ctx.state.rateLimit = { policy: 'orders', allowed: false, remaining: 0 };
      throw new EdgeError('RATE_LIMITED', { headers: { 'Retry-After': '3' } });
    } else if (ctx.path === '/orders/boom') {
      throw new Error('database password is hunter2');
    } else if (ctx.path === '/orders/slow') {
      await new Promise((r) => setTimeout(r, 300));
      ctx.body = 'late';
    } else if (ctx.path === '/livez') {
      ctx.body = 'ok';
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const lines = (): Line[] => raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request');
  return { server, base, raw, lines, seen };
}

describe('requestContext', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  before(async () => (app = await startApp(0)));
  after(() => app.server.close());
  beforeEach(() => {
    app.raw.length = 0;
    app.seen.length = 0;
  });

  it('writes exactly one access-log line per request with route, status, duration, client id and outcome fields', async () => {
    const res = await fetch(`${app.base}/orders/42`);
    expect(res.status).to.equal(200);
    await waitFor(() => app.lines().length > 0, 'the access-log line');
    await new Promise((r) => setTimeout(r, 50));
    const lines = app.lines();
    expect(lines).to.have.length(1);
    const line = lines[0]!;
    expect(line).to.include({ level: 'info', service: 'test-bff', method: 'GET', status: 200, clientId: 'mobile-app', clientAddress: '127.0.0.1', cache: 'MISS', rateLimited: false, bytes: 11, traceId: null });
    expect(line.requestId).to.equal(res.headers.get('x-request-id'));
    expect(line.route).to.deep.equal({ id: 'get-order', template: '/orders/:orderId' });
    expect(line.durationMs).to.be.a('number').and.at.least(0);
    expect(line).not.to.have.property('aborted');
  });

  it('keeps a valid incoming X-Request-Id, echoes it and binds it to ctx.state.log', async () => {
    const res = await fetch(`${app.base}/orders/42`, { headers: { 'X-Request-Id': 'edge-lb:7f3a.1_x-2' } });
    expect(res.headers.get('x-request-id')).to.equal('edge-lb:7f3a.1_x-2');
    expect(app.seen[0]?.requestId).to.equal('edge-lb:7f3a.1_x-2');
    await waitFor(() => app.lines().length > 0, 'the access-log line');
    expect(app.lines()[0]?.requestId).to.equal('edge-lb:7f3a.1_x-2');
    app.seen[0]?.log?.info({ step: 'inside' }, 'handler line');
    expect(app.raw.join('')).to.match(/"requestId":"edge-lb:7f3a\.1_x-2","step":"inside"/);
  });

  for (const [why, value] of [
    ['contains characters outside the allowed set', 'abc def<script>'],
    ['is longer than 128 characters', 'a'.repeat(129)],
  ] as const) {
    it(`replaces an incoming X-Request-Id that ${why} with a new UUID`, async () => {
      const res = await fetch(`${app.base}/orders/42`, { headers: { 'X-Request-Id': value } });
      const id = res.headers.get('x-request-id');
      expect(id).to.match(UUID);
      await waitFor(() => app.lines().length > 0, 'the access-log line');
      expect(app.lines()[0]?.requestId).to.equal(id);
      expect(app.raw.join('')).not.to.include(value);
    });
  }

  it('never logs Authorization, Cookie or X-Api-Key values', async () => {
    await fetch(`${app.base}/orders/42`, {
      headers: { Authorization: 'Bearer secret-token-value', Cookie: 'sid=secret-cookie-value', 'X-Api-Key': 'secret-api-key-value' },
    });
    await waitFor(() => app.lines().length > 0, 'the access-log line');
    expect(app.raw.join('')).not.to.match(/secret|authorization|cookie|x-api-key/i);
  });

  it('writes the line with the problem status at warn level when the handler throws, and echoes the id on the error', async () => {
    const res = await fetch(`${app.base}/orders/boom`);
    expect(res.status).to.equal(500);
    const id = res.headers.get('x-request-id');
    expect(id).to.match(UUID);
    await waitFor(() => app.lines().length > 0, 'the access-log line');
    expect(app.lines()).to.have.length(1);
    expect(app.lines()[0]).to.include({ level: 'warn', status: 500, requestId: id });
  });

  it('marks a request the limiter refused as rateLimited at info level', async () => {
    const res = await fetch(`${app.base}/orders/limited`);
    expect(res.status).to.equal(429);
    await waitFor(() => app.lines().length > 0, 'the access-log line');
    expect(app.lines()[0]).to.include({ level: 'info', status: 429, rateLimited: true });
  });

  it('writes one line with status 499 when the client goes away before the answer', async () => {
    const req = httpRequest(`${app.base}/orders/slow`);
    req.on('error', () => {});
    req.end();
    await waitFor(() => app.seen.length > 0, 'the request to reach the handler');
    req.destroy();
    await waitFor(() => app.lines().length > 0, 'the access-log line');
    await new Promise((r) => setTimeout(r, 400));
    const lines = app.lines();
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ status: 499, aborted: true, level: 'info' });
  });

  it('logs probe requests at debug level with no route', async () => {
    await fetch(`${app.base}/livez`);
    await waitFor(() => app.lines().length > 0, 'the access-log line');
    expect(app.lines()[0]).to.include({ level: 'debug', status: 200 });
    expect(app.lines()[0]?.route).to.equal(null);
  });
});

describe('requestContext client address', () => {
  for (const [hops, expected] of [
    [0, '127.0.0.1'],
    [1, '192.0.2.44'],
    [2, '198.51.100.7'],
  ] as const) {
    it(`derives ${expected} from a spoofed X-Forwarded-For with ${hops} trusted hop(s)`, async () => {
      const app = await startApp(hops);
      try {
        // "6.6.6.6" is what the client claimed; two proxies appended 198.51.100.7 and 192.0.2.44.
        await fetch(`${app.base}/orders/42`, { headers: { 'X-Forwarded-For': '6.6.6.6, 198.51.100.7, 192.0.2.44' } });
        expect(app.seen[0]?.clientAddress).to.equal(expected);
        await waitFor(() => app.lines().length > 0, 'the access-log line');
        expect(app.lines()[0]?.clientAddress).to.equal(expected);
      } finally {
        app.server.close();
      }
    });
  }
});

describe('requestContext per-request logger', () => {
  it('binds the child logger on first use only, once per request, and lets a handler replace it', async () => {
    const children: Array<Record<string, unknown>> = [];
    const lines: object[] = [];
    const logger = createLogger({ serviceName: 'test-bff', level: 'info' }, new Writable({ write: (_c: Buffer, _e, done) => done() }));
    const counting = Object.assign(Object.create(logger) as typeof logger, {
      child(bindings: Record<string, unknown>) {
        children.push(bindings);
        return logger.child(bindings);
      },
    });
    const replacement = { debug() {}, info: (obj: object) => lines.push(obj), warn() {}, error() {}, child: () => replacement };
    const app = new Koa<EdgeState>();
    app.use(requestContext({ logger: counting, trustedProxyHops: 0 }));
    app.use(async (ctx, next) => {
      if (ctx.path === '/twice') expect(ctx.state.log).to.equal(ctx.state.log);
      if (ctx.path === '/replace') {
        ctx.state.log = replacement;
        ctx.state.log.info({ replaced: true });
      }
      ctx.body = 'ok';
      await next();
      expect(ctx.status).to.equal(200);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const before = children.length;
      expect((await fetch(`${base}/quiet`)).status).to.equal(200);
      expect(children.length - before, 'children for a request that never logs').to.equal(0);
      const res = await fetch(`${base}/twice`);
      expect(res.status).to.equal(200);
      expect(children.slice(before)).to.deep.equal([{ requestId: res.headers.get('x-request-id') }]);
      expect((await fetch(`${base}/replace`)).status).to.equal(200);
      expect(lines).to.deep.equal([{ replaced: true }]);
      expect(children.length - before).to.equal(1);
    } finally {
      server.close();
    }
  });
});
