import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startFleet, type Fleet } from '../e2e/support/fleet';
import { freePorts } from '../e2e/support/free-ports';
import { nginxPrefixOf, planModule, REPO_ROOT, type DeployedService } from './support/facts';
import { ensureNginx, loopbackConfig, nginxProblems, startNginx, type RunningNginx } from './support/nginx-lb';

describe('load balancer (deploy/nginx)', () => {
  let plan: DeployedService[];

  before(async () => {
    plan = (await planModule()).deploymentPlan(REPO_ROOT);
  });

  it('routes every BFF at its own port and holds no business logic', () => {
    expect(nginxProblems(REPO_ROOT, plan)).to.deep.equal([]);
  });

  it('gives every BFF a distinct client prefix', () => {
    const prefixes = plan.filter((s) => s.role === 'bff').map((s) => nginxPrefixOf(REPO_ROOT, s.name));
    expect(prefixes).to.not.include(undefined);
    expect(new Set(prefixes).size).to.equal(prefixes.length);
  });

  // The project's own config, run by a real nginx in front of the real BFF processes, on loopback.
  describe('running in front of the fleet', function () {
    this.timeout(60_000);
    let fleet: Fleet;
    let nginx: RunningNginx;
    let echo: { server: Server; wss: WebSocketServer; paths: string[]; forwardedFor: string[] };
    let bffs: Array<{ name: string; prefix: string }>;

    before(async function () {
      // nginx comes from Debian's packages when missing (once; apt can take a while on a fresh machine).
      this.timeout(300_000);
      const binary = ensureNginx(REPO_ROOT);
      bffs = plan.filter((s) => s.role === 'bff').map((s) => ({ name: s.name, prefix: nginxPrefixOf(REPO_ROOT, s.name)! }));
      // The backends and BFFs; a static app (role app) is not behind a prefix.
      fleet = await startFleet({ services: plan.filter((s) => s.role !== 'app').map((s) => s.name) });
      // The BFFs have no WebSocket route of their own yet, so upgrades are proven against a tiny echo server
      // routed by a route file written with the same template as every BFF's (scripts/deploy-templates.mjs).
      const server = createServer();
      const wss = new WebSocketServer({ server });
      echo = { server, wss, paths: [], forwardedFor: [] };
      wss.on('connection', (socket, req) => {
        echo.paths.push(req.url ?? '');
        echo.forwardedFor.push(String(req.headers['x-forwarded-for']));
        socket.on('message', (data) => socket.send(`echo:${String(data)}`));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const echoPort = (server.address() as AddressInfo).port;
      const templates = await import('../../scripts/deploy-templates.mjs');
      const wsEcho = { name: 'ws-echo', defaultPort: echoPort };
      const upstreams = new Map<string, number>([...plan.map((s) => [s.name, fleet.port(s.name)] as [string, number]), ['ws-echo', echoPort]]);
      const [listenPort] = await freePorts(1);
      const dir = loopbackConfig(REPO_ROOT, upstreams, listenPort!, {
        'ws-echo.http.conf': templates.nginxHttpConf(wsEcho, 'ws-echo'),
        'ws-echo.prefix.conf': templates.nginxPrefixConf(wsEcho, 'ws-echo'),
      });
      nginx = await startNginx(binary, dir, listenPort!);
    });

    after(async () => {
      await nginx?.stop();
      await fleet?.stopAll();
      if (echo) {
        for (const client of echo.wss.clients) client.terminate();
        await new Promise<void>((resolve) => echo.wss.close(() => resolve()));
        await new Promise<void>((resolve) => echo.server.close(() => resolve()));
      }
    });

    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${nginx.url}${path}`, { headers });
    // fetch() never sends a Host header of the caller's choosing; node:http does.
    const getWithHost = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; requestId: string | undefined }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: nginx.port, path, headers }, (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode ?? 0, requestId: res.headers['x-request-id'] as string | undefined }));
        });
        req.once('error', reject);
        req.end();
      });
    // The access line is written once the response has gone out and reaches the harness through a pipe: poll briefly.
    const loggedBy = async (id: string): Promise<string[]> => {
      for (let i = 0; i < 100; i += 1) {
        const owners = bffs.filter((b) => fleet.logs(b.name).some((line) => line.includes(id))).map((b) => b.name);
        if (owners.length) return owners;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return [];
    };

    it('sends each prefix to its own BFF, prefix stripped', async () => {
      for (const { name, prefix } of bffs) {
        const live = await get(`/${prefix}/livez`);
        expect(live.status, name).to.equal(200);
        expect(await live.json(), name).to.deep.equal({ status: 'ok' });
        const id = randomUUID();
        const miss = await get(`/${prefix}/no-such-route-${id}`, { 'x-request-id': id });
        expect(miss.status, name).to.equal(404);
        expect(miss.headers.get('x-request-id'), name).to.equal(id);
        expect(await loggedBy(id), `${name} should have logged ${id}`).to.deep.equal([name]);
      }
    });

    it('sends each client host name to its BFF', async () => {
      for (const { name, prefix } of bffs) {
        const id = randomUUID();
        const res = await getWithHost(`/nothing-here-${id}`, { host: `${prefix}.localhost`, 'x-request-id': id });
        expect(res.status, name).to.equal(404);
        expect(res.requestId, name).to.equal(id);
        expect(await loggedBy(id), `${name} should have logged ${id}`).to.deep.equal([name]);
      }
    });

    it('forwards the raw path, so a BFF still sees and refuses an encoded slash', async () => {
      const { prefix } = bffs[0]!;
      const res = await get(`/${prefix}/restaurants%2F..%2Fadmin`);
      expect(res.status).to.equal(400);
      expect(res.headers.get('x-request-id'), 'answered by the BFF, not nginx').to.be.a('string');
    });

    it('answers an unknown prefix, /metrics and an oversized body itself, as problem+json', async () => {
      const unknown = await get('/nobody/here');
      expect(unknown.status).to.equal(404);
      expect(unknown.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect((await get(`/${bffs[0]!.prefix}/metrics`)).status).to.equal(404);
      const big = await fetch(`${nginx.url}/${bffs[0]!.prefix}/anything`, { method: 'POST', body: Buffer.alloc(2 * 1024 * 1024, 97), headers: { 'content-type': 'text/plain' } });
      expect(big.status).to.equal(413);
      expect(big.headers.get('content-type')).to.match(/^application\/problem\+json/);
    });

    it('passes a WebSocket upgrade through, prefix stripped and X-Forwarded-For set by nginx', async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${nginx.port}/ws-echo/socket?x=1`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      const reply = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send('ping'));
        ws.once('message', (data) => resolve(String(data)));
        ws.once('error', reject);
        setTimeout(() => reject(new Error('no echo within 5 s')), 5_000).unref();
      });
      ws.close();
      expect(reply).to.equal('echo:ping');
      expect(echo.paths.at(-1)).to.equal('/socket?x=1');
      expect(echo.forwardedFor.at(-1)).to.equal('127.0.0.1');
    });

    it('keeps the other BFFs reachable while one is stopped, and answers 503 problem+json for it', async () => {
      const [down, ...up] = bffs;
      const exit = await fleet.stop(down!.name);
      expect(exit.forced).to.equal(false);
      const res = await get(`/${down!.prefix}/livez`);
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).to.equal('5');
      for (const { name, prefix } of up) expect((await get(`/${prefix}/livez`)).status, name).to.equal(200);
    });
  });
});
