/**
 * The fleet as real processes: the shared plan (discovery and wiring), the e2e harness (test/e2e/support/fleet.ts)
 * and `make dev` (scripts/dev.mjs). Needs the compiled services: run `npx tsc -b` first.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { startFleet, type Fleet } from './support/fleet';
import { freePortOffset, freePorts } from './support/free-ports';

const ROOT = resolve(__dirname, '../..');
const BACKENDS = ['consumer', 'restaurant', 'order', 'kitchen', 'delivery', 'accounting'];
const NEW_ORDER = {
  consumerId: 'c-1001',
  restaurantId: 'r-1',
  lineItems: [{ menuItemId: 'm-101', quantity: 1 }],
  deliveryAddress: { street: '1 A St', city: 'Oakland', zip: '94610' },
};

const plan = () => import('../../scripts/fleet-plan.mjs');

async function call(url: string, method: 'GET' | 'POST' = 'GET', body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function fixtureRoot(packages: Record<string, object>): string {
  const root = mkdtempSync(join(tmpdir(), 'portico-fleet-'));
  for (const [dir, pkg] of Object.entries(packages)) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'package.json'), JSON.stringify(pkg));
  }
  return root;
}

describe('fleet plan (scripts/fleet-plan.mjs)', () => {
  let root: string;
  before(() => {
    root = fixtureRoot({
      'services/backends/order': { name: '@x/order', portico: { defaultPort: 9003 } },
      'services/backends/consumer': { name: '@x/consumer', portico: { defaultPort: 9001 } },
      'services/web-bff': { name: '@x/web-bff', portico: { defaultPort: 8082 } },
      'services/public-api': { name: '@x/public-api', portico: { defaultPort: 8083 } },
      'services/web-app': { name: '@x/web-app' },
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds the six backends of this repository at their documented ports', async () => {
    const found = (await plan()).discoverServices().filter((s) => s.kind === 'backend');
    expect(found.map((s) => [s.name, s.defaultPort])).to.deep.equal(BACKENDS.map((name, i) => [name, 9001 + i]));
  });

  it('picks up any services/* package with portico.defaultPort as a BFF, after the backends, and skips the rest', async () => {
    const found = (await plan()).discoverServices(root);
    expect(found.map((s) => `${s.kind}:${s.name}`)).to.deep.equal(['backend:consumer', 'backend:order', 'bff:web-bff', 'bff:public-api']);
  });

  it('wires the other backends’ *_SERVICE_URL and gives only JWT-verifying BFFs the local JWT settings', async () => {
    const { discoverServices, defaultPorts, serviceEnv } = await plan();
    const { LOCAL_JWT_SECRET } = await import('../../scripts/local-dev.mjs');
    const all = discoverServices(root);
    const ports = defaultPorts(all, 100);
    const [consumer, order, web, pub] = all.map((s) => serviceEnv(s, all, ports));
    expect(order).to.deep.equal({ PORT: '9103', HOST: '127.0.0.1', NODE_ENV: 'development', OTEL_SERVICE_NAME: 'order', CONSUMER_SERVICE_URL: 'http://127.0.0.1:9101' });
    expect(consumer).to.have.property('ORDER_SERVICE_URL', 'http://127.0.0.1:9103');
    expect(consumer).to.not.have.property('CONSUMER_SERVICE_URL');
    expect(web).to.include({
      PORT: '8182',
      JWT_ISSUER: 'portico-local',
      JWT_AUDIENCE: 'web',
      JWT_SECRET: LOCAL_JWT_SECRET,
      ORDER_SERVICE_URL: 'http://127.0.0.1:9103',
    });
    expect(LOCAL_JWT_SECRET.length).to.be.at.least(32);
    expect(pub).to.not.have.property('JWT_SECRET');
  });

  it('rejects an unknown service, a malformed offset and an offset past port 65535', async () => {
    const { discoverServices, selectServices, parsePortOffset, defaultPorts } = await plan();
    const all = discoverServices(root);
    expect(() => selectServices(all, ['order', 'ordr'])).to.throw('unknown service ordr; the fleet has consumer, order, web-bff, public-api');
    expect(() => parsePortOffset('-5')).to.throw('PORTICO_PORT_OFFSET');
    expect(() => defaultPorts(all, 60_000)).to.throw('past 65535');
  });

  it('lets only OS basics and the pass-through variables reach a child, never a stray PORT or JWT_SECRET', async () => {
    const tracing = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5', TRACE_CONTEXT: 'async-local-storage' };
    const env = (await plan()).inheritedEnv({ PATH: '/bin', PORT: '1', JWT_SECRET: 'x'.repeat(40), REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'debug', ...tracing });
    expect(env).to.deep.equal({ PATH: '/bin', REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'debug', ...tracing });
  });
});

describe('freePorts (test/e2e/support/free-ports.ts)', () => {
  const bindable = (port: number) =>
    new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
    });

  it('gives ports whose companion (port + offset, a gRPC backend’s second port) is free and distinct from every other', async () => {
    const ports = await freePorts(3, new Set(), [1, undefined, 1]);
    const inUse = [ports[0]!, ports[0]! + 1, ports[1]!, ports[2]!, ports[2]! + 1];
    expect(new Set(inUse).size).to.equal(5);
    for (const port of inUse) expect(await bindable(port), `port ${port}`).to.equal(true);
  });

  it('passes over a port whose companion is taken (offset 0: the companion is the probe itself)', async () => {
    const err = await freePorts(1, new Set(), [0]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error).with.property('message', 'could not find 1 free ports on 127.0.0.1');
  });
});

describe('startFleet (test/e2e/support/fleet.ts)', function () {
  this.timeout(60_000);

  it('refuses to start services that are not built, saying how to build them', async () => {
    const root = fixtureRoot({ 'services/backends/consumer': { name: '@x/consumer', portico: { defaultPort: 9001 } } });
    try {
      await startFleet({ root }).then(
        () => expect.fail('started an unbuilt fleet'),
        (err: Error) => expect(err.message).to.match(/not built: .*consumer.*run `npx tsc -b` first/),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('rejects with the service’s own last lines when it exits before it is ready', async () => {
    const err = await startFleet({ services: ['consumer'], perService: { consumer: { LOG_LEVEL: 'loud' } } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/^consumer exited with code 1 before it was ready; its last lines:/);
    expect(err?.message).to.include('LOG_LEVEL');
  });

  it('kill() ends a service with the given signal, and stopAll leaves no process behind', async () => {
    const fleet = await startFleet({ services: ['consumer', 'restaurant'] });
    const pids = [fleet.pid('consumer')!, fleet.pid('restaurant')!];
    expect(await fleet.kill('restaurant')).to.deep.equal({ code: null, signal: 'SIGKILL' });
    await fleet.stopAll();
    expect(pids.map(gone)).to.deep.equal([true, true]);
  });
});

describe('six real backends started by startFleet', function () {
  this.timeout(60_000);
  let fleet: Fleet;

  before(async () => {
    fleet = await startFleet({ services: BACKENDS, perService: { order: { ORDER_STEP_TIME: '100ms' } } });
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(fleet.dump());
  });
  after(async () => {
    await fleet?.stopAll();
  });

  it('runs every backend on its own free port, none of them a default port', async () => {
    const ports = BACKENDS.map((name) => fleet.port(name));
    expect(new Set(ports).size).to.equal(6);
    expect(ports.filter((p) => p >= 9001 && p <= 9006)).to.deep.equal([]);
    for (const name of BACKENDS) expect((await call(`${fleet.url(name)}/readyz`)).status, name).to.equal(200);
  });

  it('places an order through the order service and sees it reach DELIVERED', async () => {
    const created = await call(`${fleet.url('order')}/orders`, 'POST', NEW_ORDER);
    expect(created.status).to.equal(201);
    const id = created.body.orderId as string;
    const state = await until(
      'DELIVERED',
      async () => ((await call(`${fleet.url('order')}/orders/${id}`)).body.state === 'DELIVERED' ? 'DELIVERED' : undefined),
      10_000,
    );
    expect(state).to.equal('DELIVERED');
  });

  it('keeps answering GET /orders/:id with delivery stopped, and brings delivery back ready on the same port', async () => {
    const id = (await call(`${fleet.url('order')}/orders`, 'POST', NEW_ORDER)).body.orderId as string;
    await until('DELIVERED', async () => ((await call(`${fleet.url('order')}/orders/${id}`)).body.state === 'DELIVERED' ? true : undefined), 10_000);
    const port = fleet.port('delivery');

    expect(await fleet.stop('delivery')).to.deep.equal({ code: 0, signal: null, forced: false });
    const refused = await call(`${fleet.url('delivery')}/livez`).then(
      () => 'answered',
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(refused).to.equal('ECONNREFUSED');
    const read = await call(`${fleet.url('order')}/orders/${id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.include({ orderId: id, state: 'DELIVERED' });

    await fleet.start('delivery');
    expect(fleet.port('delivery')).to.equal(port);
    expect((await call(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    // The order service still reaches delivery at the address it was given at start-up.
    expect((await call(`${fleet.url('order')}/orders`, 'POST', NEW_ORDER)).status).to.equal(201);
  });
});

describe('make dev (scripts/dev.mjs)', function () {
  this.timeout(60_000);
  const runners: ChildProcess[] = [];
  const childPids: number[] = [];

  function runDev(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['scripts/dev.mjs', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env } });
    runners.push(child);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    return { child, out: () => out, exited };
  }

  async function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | 'still running'> {
    return Promise.race([exited, new Promise<'still running'>((r) => setTimeout(r, ms, 'still running'))]);
  }

  after(() => {
    for (const runner of runners) if (runner.exitCode === null && runner.signalCode === null) runner.kill('SIGKILL');
    for (const pid of childPids) if (!gone(pid)) process.kill(-pid, 'SIGKILL');
  });

  it('runs --only consumer,restaurant at PORTICO_PORT_OFFSET, then stops both on SIGINT and exits 0', async () => {
    const offset = await freePortOffset([9001, 9002]);
    const dev = runDev(['--only', 'consumer,restaurant'], { PORTICO_PORT_OFFSET: String(offset) });
    await until('the ready table', async () => (/Portico fleet ready[\s\S]*Ctrl-C/.test(dev.out()) ? true : undefined), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${dev.out()}`);
    });
    const rows = [...dev.out().matchAll(/^ {2}(\S+)\s+backend\s+(http:\S+)\s+(\d+)$/gm)].map((m) => ({ name: m[1], url: m[2]!, pid: Number(m[3]) }));
    expect(rows.map((r) => [r.name, r.url])).to.deep.equal([
      ['consumer', `http://127.0.0.1:${9001 + offset}`],
      ['restaurant', `http://127.0.0.1:${9002 + offset}`],
    ]);
    childPids.push(...rows.map((r) => r.pid));
    expect((await call(`${rows[0]!.url}/consumers/c-1001`)).status).to.equal(200);
    expect((await call(`${rows[1]!.url}/restaurants/r-1`)).status).to.equal(200);

    dev.child.kill('SIGINT');
    expect(await exitWithin(dev.exited, 15_000)).to.equal(0);
    expect(rows.map((r) => gone(r.pid))).to.deep.equal([true, true]);
    expect(dev.out()).to.match(/fleet\s+│ stopped\n/);
  });

  it('exits 1 naming the service that could not start, with its last lines', async () => {
    const offset = await freePortOffset([9001]);
    const dev = runDev(['--only', 'consumer'], { PORTICO_PORT_OFFSET: String(offset), LOG_LEVEL: 'loud' });
    expect(await exitWithin(dev.exited, 20_000)).to.equal(1);
    expect(dev.out()).to.match(/dev: consumer exited with code 1 before it was ready; its last lines:[\s\S]*LOG_LEVEL/);
  });

  it('refuses to start on a port that is already taken, suggesting PORTICO_PORT_OFFSET', async () => {
    const offset = await freePortOffset([9001]);
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(9001 + offset, '127.0.0.1', r));
    try {
      const dev = runDev(['--only', 'consumer'], { PORTICO_PORT_OFFSET: String(offset) });
      expect(await exitWithin(dev.exited, 10_000)).to.equal(1);
      expect(dev.out()).to.include(`port ${9001 + offset} (consumer) is already in use`);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
