import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@portico/edge';
import { upstreamEnvShape, upstreamPolicyFromEnv, withSharedPolicy } from '../../src/clients/upstream-env-policy';
import type { UpstreamPolicyOverrides } from '../../src/clients/upstreams';
import { createBff } from '../../src/create-bff';
import { send } from '../proxy/http-client';

const load = (value?: string) =>
  loadConfig({ serviceName: 'test-bff', extra: upstreamEnvShape }, { PORT: '0', ...(value === undefined ? {} : { UPSTREAM_BREAKER_OPEN: value }) });

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('upstream policy from the environment (UPSTREAM_BREAKER_OPEN)', () => {
  it('reads a duration into breaker.openMs, and asks for nothing when unset', () => {
    expect(upstreamPolicyFromEnv(load('2s').extra)).to.deep.equal({ breaker: { openMs: 2000 } });
    expect(upstreamPolicyFromEnv(load().extra)).to.equal(undefined);
  });

  it('refuses a malformed or out-of-range value with one line naming the variable', () => {
    expect(() => load('soon')).to.throw(ConfigError, /UPSTREAM_BREAKER_OPEN: expected a duration like "2s", got "soon"/);
    expect(() => load('50ms')).to.throw(ConfigError, /UPSTREAM_BREAKER_OPEN: expected a duration from 100ms to 10m/);
    expect(() => load('11m')).to.throw(ConfigError, /UPSTREAM_BREAKER_OPEN/);
  });

  it('lays the shared breaker under a service’s own per-upstream settings, which win field by field', () => {
    const shared = { breaker: { openMs: 1000 } };
    expect(withSharedPolicy(shared, undefined)).to.deep.equal({ breaker: { openMs: 1000 } });
    expect(withSharedPolicy(shared, { breaker: { openMs: 5000, minimumCalls: 5 } })).to.deep.equal({ breaker: { openMs: 5000, minimumCalls: 5 } });
    const own: UpstreamPolicyOverrides = { connectTimeoutMs: 200 };
    expect(withSharedPolicy(shared, own)).to.deep.equal({ connectTimeoutMs: 200, breaker: { openMs: 1000 } });
    expect(withSharedPolicy(undefined, own)).to.deep.equal({ connectTimeoutMs: 200 });
  });

  describe('in a BFF built by createBff', function () {
    this.timeout(15_000);
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'portico-breaker-env-'));
      writeFileSync(
        join(dir, 'routes.yaml'),
        'routes:\n  - { id: get-order, method: GET, path: /orders/:id, upstream: "${ORDER_SERVICE_URL}/orders/:id", policy: { auth: none, retries: 0 } }\n',
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('opens the circuit after 20 failed calls and half-opens it once UPSTREAM_BREAKER_OPEN (300 ms) has passed', async () => {
      const bff = await createBff({
        serviceName: 'test-bff',
        routesFile: join(dir, 'routes.yaml'),
        env: { PORT: '0', NODE_ENV: 'test', LOG_LEVEL: 'silent', ORDER_SERVICE_URL: `http://127.0.0.1:${await closedPort()}`, UPSTREAM_BREAKER_OPEN: '300ms' },
        signals: false,
        watch: false,
      });
      try {
        const server = await bff.listen(0, '127.0.0.1');
        const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const statuses: number[] = [];
        for (let i = 0; i < 21; i++) statuses.push((await send(base, `/orders/${i}`)).status);
        expect(statuses.slice(0, 20)).to.deep.equal(Array(20).fill(502));
        expect(statuses[20]).to.equal(503);
        expect(bff.upstreams.states().order).to.equal('open');
        await new Promise((resolve) => setTimeout(resolve, 350));
        expect(bff.upstreams.states().order).to.equal('half-open');
      } finally {
        await bff.close();
      }
    });

    it('refuses to start with an invalid UPSTREAM_BREAKER_OPEN', async () => {
      const started = createBff({
        serviceName: 'test-bff',
        routesFile: join(dir, 'routes.yaml'),
        env: { PORT: '0', LOG_LEVEL: 'silent', ORDER_SERVICE_URL: 'http://127.0.0.1:9', UPSTREAM_BREAKER_OPEN: 'never' },
        signals: false,
        watch: false,
      });
      const err = await started.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).to.contain('UPSTREAM_BREAKER_OPEN');
    });
  });
});
