import { expect } from 'chai';
import Koa from 'koa';
import http, { type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { problemMiddleware } from '../../src/errors';
import { healthRoutes, Readiness } from '../../src/health';
import { createLifecycle, type Lifecycle } from '../../src/lifecycle';
import type { EdgeState } from '../../src/state';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function capturingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const push = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger = { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error'), child: () => logger };
  return logger;
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One request; `agent` false opens a fresh connection, so a refused connection shows as ECONNREFUSED. */
function request(port: number, path: string, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * One request on a raw keep-alive socket (HTTP/1.1, no client library between the test and the server), answered with
 * the response's status and Connection header once its whole body has arrived. The socket is left open.
 */
function rawRequest(port: number, path: string): Promise<Pick<Answer, 'status' | 'connection'>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(received);
      if (end === -1 || !length || received.length < end + 4 + Number(length[1])) return;
      resolve({ status: Number(received.slice(9, 12)), connection: /\r\nconnection: *([^\r]*)/i.exec(received)?.[1]?.toLowerCase() });
      socket.destroy();
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: portico.test\r\n\r\n`);
  });
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('Lifecycle (real server on 127.0.0.1)', () => {
  let server: Server;
  let port: number;
  let readiness: Readiness;
  let lifecycle: Lifecycle;
  let exits: number[];
  let logger: ReturnType<typeof capturingLogger>;
  let agent: http.Agent;
  let handled = 0;

  async function start(drainDelayMs: number, shutdownTimeoutMs: number, hookTimeoutMs?: number): Promise<void> {
    readiness = new Readiness();
    const app = new Koa<EdgeState>();
    app.use(problemMiddleware());
    app.use(healthRoutes({ readiness }));
    app.use(async (ctx) => {
      if (ctx.path === '/streaming') {
        // Headers (with keep-alive) leave before shutdown starts; only the body is still to come.
        ctx.respond = false;
        ctx.res.writeHead(200, { 'Content-Length': '2' });
        ctx.res.flushHeaders();
        await sleep(300);
        ctx.res.end('ok');
        return;
      }
      await sleep(Number(ctx.query.ms ?? 0));
      handled += 1;
      ctx.body = { ok: true, path: ctx.path };
    });
    server = http.createServer(app.callback());
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
    exits = [];
    logger = capturingLogger();
    lifecycle = createLifecycle({ server, readiness, logger, drainDelayMs, shutdownTimeoutMs, hookTimeoutMs, exit: (code) => exits.push(code) });
  }

  beforeEach(() => {
    handled = 0;
    agent = new http.Agent({ keepAlive: true });
  });
  afterEach(() => {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  });

  it('fails readiness at once, serves through the drain delay, then refuses connections and finishes every in-flight request', async () => {
    await start(500, 5000);
    const order: string[] = [];
    lifecycle.onShutdown('redis', () => void order.push('redis'));
    lifecycle.onShutdown('telemetry', async () => {
      await sleep(10);
      order.push('telemetry');
    });
    lifecycle.onShutdown('websockets', () => void order.push('websockets'));

    const inFlight = Array.from({ length: 6 }, (_, i) => request(port, `/slow/${i}?ms=900`, agent));
    await until(() => lifecycle.inFlightCount === 6);
    const done = lifecycle.shutdown('test');

    // The pre-stop window: readiness fails, yet new requests are still answered.
    const ready = await request(port, '/readyz');
    expect(ready.status).to.equal(503);
    expect(JSON.parse(ready.body)).to.include({ type: 'urn:portico:problem:draining' });
    expect((await request(port, '/livez')).status).to.equal(200);
    expect((await request(port, '/fast')).status).to.equal(200);
    expect(exits).to.deep.equal([]);

    // After the window the listener is closed: new connections are refused.
    await until(() => logger.lines.some((l) => l.msg === 'shutdown: stopped accepting; waiting for in-flight requests'));
    expect(lifecycle.inFlightCount).to.equal(6);
    const refused = await request(port, '/late').then(() => undefined, (err: NodeJS.ErrnoException) => err.code);
    expect(refused).to.equal('ECONNREFUSED');

    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
    // Keep-alive clients are told to reconnect elsewhere.
    expect(answers.every((a) => a.connection === 'close')).to.equal(true);
    expect(await done).to.equal(0);
    expect(exits).to.deep.equal([0]);
    expect(order).to.deep.equal(['websockets', 'telemetry', 'redis']);
    expect(handled).to.equal(6 + 1);
    expect(lifecycle.inFlightCount).to.equal(0);
    const steps = logger.lines.map((l) => l.msg);
    expect(steps).to.include.members([
      'shutdown: readiness failing; serving through the drain delay',
      'shutdown: stopped accepting; waiting for in-flight requests',
      'shutdown: in-flight requests finished',
      'shutdown: hook done',
      'shutdown: complete; exiting',
    ]);
  });

  it('closes idle keep-alive connections when it stops accepting, so the server can close', async () => {
    await start(0, 2000);
    // A raw socket: the connection is visibly ours, not a pooled one managed by an HTTP client.
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const socketClosed = new Promise((r) => socket.once('close', r));
    socket.write('GET /warm HTTP/1.1\r\nHost: portico.test\r\n\r\n');
    await until(() => received.includes('{"ok":true'));
    expect(received).to.match(/^HTTP\/1\.1 200/);
    expect(received.toLowerCase()).to.include('connection: keep-alive');
    const serverClosed = new Promise((r) => server.once('close', r));
    expect(await lifecycle.shutdown('test')).to.equal(0);
    await Promise.all([socketClosed, serverClosed]);
    expect(server.listening).to.equal(false);
  });

  it('answers a request in flight on a keep-alive connection with Connection: close and then closes that socket', async () => {
    await start(0, 2000);
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const socketClosed = new Promise((r) => socket.once('close', r));
    socket.write('GET /slow?ms=300 HTTP/1.1\r\nHost: portico.test\r\n\r\n');
    await until(() => lifecycle.inFlightCount === 1);
    expect(await lifecycle.shutdown('test')).to.equal(0);
    await socketClosed;
    expect(received).to.match(/^HTTP\/1\.1 200/);
    expect(received.toLowerCase()).to.include('connection: close');
    expect(received).to.include('"path":"/slow"');
  });

  it('counts requests that finish out of order, and still finds every one left in flight at shutdown', async () => {
    await start(0, 2000);
    // Slots freed in a different order than taken, then taken again by later requests.
    const warm = await Promise.all([40, 10, 30, 20].map((ms) => rawRequest(port, `/warm?ms=${ms}`)));
    warm.push(...(await Promise.all([5, 25, 15].map((ms) => rawRequest(port, `/warm?ms=${ms}`)))));
    expect(warm.map((a) => a.connection)).to.deep.equal(Array(7).fill('keep-alive'));
    expect(lifecycle.inFlightCount).to.equal(0);
    const slow = [300, 250, 200].map((ms) => rawRequest(port, `/slow?ms=${ms}`));
    const quick = rawRequest(port, '/quick?ms=20');
    await until(() => lifecycle.inFlightCount === 4);
    await quick;
    expect(lifecycle.inFlightCount).to.equal(3);
    expect(await lifecycle.shutdown('test')).to.equal(0);
    expect(await Promise.all(slow)).to.deep.equal(Array(3).fill({ status: 200, connection: 'close' }));
    expect(lifecycle.inFlightCount).to.equal(0);
  });

  it('closes a keep-alive socket whose headers left before shutdown once its response ends', async () => {
    await start(0, 2000);
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const socketClosed = new Promise((r) => socket.once('close', r));
    const serverClosed = new Promise((r) => server.once('close', r));
    socket.write('GET /streaming HTTP/1.1\r\nHost: portico.test\r\n\r\n');
    await until(() => received.includes('\r\n\r\n'));
    expect(received.toLowerCase()).to.include('connection: keep-alive');
    const started = Date.now();
    expect(await lifecycle.shutdown('test')).to.equal(0);
    // Without closing it, the idle socket would linger until the 65 s keep-alive timeout.
    await Promise.all([socketClosed, serverClosed]);
    expect(Date.now() - started).to.be.lessThan(1000);
    expect(received.endsWith('ok')).to.equal(true);
  });

  it('cuts a request that outlasts the shutdown timeout, still runs the hooks, and exits 1', async () => {
    await start(0, 200);
    const hooks: string[] = [];
    lifecycle.onShutdown('redis', () => void hooks.push('redis'));
    const quick = request(port, '/quick?ms=50', agent);
    const stuck = request(port, '/stuck?ms=3000', agent).then(() => 'answered', (err: NodeJS.ErrnoException) => err.code);
    await until(() => lifecycle.inFlightCount === 2);
    const started = Date.now();
    expect(await lifecycle.shutdown('test')).to.equal(1);
    expect(Date.now() - started).to.be.within(150, 1000);
    expect((await quick).status).to.equal(200);
    expect(await stuck).to.equal('ECONNRESET');
    expect(exits).to.deep.equal([1]);
    expect(hooks).to.deep.equal(['redis']);
    const cut = logger.lines.find((l) => l.msg === 'shutdown: deadline passed; cut the requests still in flight');
    expect(cut?.obj).to.deep.equal({ cut: 1, shutdownTimeoutMs: 200 });
  });

  it('bounds every hook: a hung or failing hook is logged and the rest still run', async () => {
    await start(0, 1000, 100);
    const ran: string[] = [];
    lifecycle.onShutdown('pool', () => void ran.push('pool'));
    lifecycle.onShutdown('hangs', () => new Promise(() => {}));
    lifecycle.onShutdown('throws', () => {
      throw new Error('quit failed');
    });
    const started = Date.now();
    expect(await lifecycle.shutdown('test')).to.equal(1);
    expect(Date.now() - started).to.be.lessThan(800);
    expect(ran).to.deep.equal(['pool']);
    expect(exits).to.deep.equal([1]);
    expect(logger.lines.find((l) => l.obj.hook === 'throws')?.level).to.equal('error');
    expect(logger.lines.find((l) => l.obj.hook === 'hangs')?.msg).to.equal('shutdown: hook did not finish in time; moving on');
  });

  it('runs once: a second shutdown or signal during shutdown is logged, not run again', async () => {
    await start(100, 1000);
    let hookRuns = 0;
    lifecycle.onShutdown('redis', () => void (hookRuns += 1));
    const listenersBefore = process.listenerCount('SIGTERM');
    const removeHandlers = lifecycle.installSignalHandlers();
    expect(process.listenerCount('SIGTERM')).to.equal(listenersBefore + 1);
    try {
      expect(lifecycle.installSignalHandlers()).to.equal(removeHandlers);
      process.emit('SIGTERM', 'SIGTERM');
      expect(lifecycle.isShuttingDown()).to.equal(true);
      expect(readiness.isDraining()).to.equal(true);
      process.emit('SIGTERM', 'SIGTERM');
      const code = await lifecycle.shutdown('manual');
      expect(code).to.equal(0);
      expect(hookRuns).to.equal(1);
      expect(exits).to.deep.equal([0]);
      const ignored = logger.lines.filter((l) => l.msg === 'shutdown already in progress; ignoring');
      expect(ignored.map((l) => l.obj.reason)).to.deep.equal(['SIGTERM', 'manual']);
    } finally {
      removeHandlers();
    }
    expect(process.listenerCount('SIGTERM')).to.equal(listenersBefore);
  });
});
