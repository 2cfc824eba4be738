/**
 * SIGTERM under load, against a real web-bff process (DRAIN_DELAY 1 s): readiness fails first, requests keep being
 * served through the drain window, then new connections are refused while in-flight requests — slowed to 1.5 s by a
 * relay in front of the restaurant service — finish; the process exits 0. "Accepted" is what the BFF's own access
 * log says it received (each request carries its X-Request-Id), so the test counts exactly which accepted requests got an answer.
 */
import { expect } from 'chai';
import { startFleet, type Fleet } from '../support/fleet';
import { startDelayProxy, type DelayProxy } from '../support/delay-proxy';
import { countBy, localSigner, probe, sleep } from '../support/fault-kit';
import { startLoad, type Sample } from '../support/load';

const DRAIN_MS = 1000;
const SLOW_MS = 1500;

interface AccessLine {
  requestId: string;
  status: number;
  aborted?: boolean;
}

describe('SIGTERM under load (web-bff, DRAIN_DELAY 1s)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let relay: DelayProxy;
  let sign: (aud: string, sub: string) => string;

  before(async function () {
    this.timeout(60_000);
    sign = await localSigner();
    relay = await startDelayProxy(() => (fleet ? `127.0.0.1:${fleet.port('restaurant')}` : undefined));
    fleet = await startFleet({
      services: ['restaurant', 'web-bff'],
      perService: { 'web-bff': { DRAIN_DELAY: `${DRAIN_MS}ms`, SHUTDOWN_TIMEOUT: '10s', RESTAURANT_SERVICE_URL: relay.url } },
      logLines: 200_000,
    });
  });
  after(async () => {
    await fleet?.stopAll();
    await relay?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet)
      console.error(
        fleet
          .logs('web-bff')
          .filter((l) => !l.includes('"msg":"request"'))
          .join('\n'),
      );
  });

  it(`fails readiness within 250 ms, serves through the ${DRAIN_MS} ms drain window, then refuses new connections; 0 accepted requests dropped, in-flight ${SLOW_MS} ms requests finish with 200, exit 0 within 4.5 s`, async () => {
    const web = fleet.url('web-bff');
    const tokens = Array.from({ length: 400 }, (_, i) => sign('web', `drain-${i}`));
    const load = (stream: 'fast' | 'slow') =>
      startLoad({
        origin: web,
        connections: 8,
        durationMs: 15_000,
        maxRequests: 60_000,
        // fast: a cached answer; slow: a distinct cuisine, so a cache miss through the relay (slowed before SIGTERM).
        next: (i) => ({
          path: stream === 'fast' ? '/restaurants/r-1' : `/restaurants?cuisine=drain-${i}`,
          headers: { authorization: `Bearer ${tokens[i % tokens.length]!}`, 'x-request-id': `drain-${stream}-${i}` },
          tag: `drain-${stream}-${i}`,
        }),
      });
    const probes: Array<{ at: number; outcome: number | string }> = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const at = performance.now();
        const res = await probe(`${web}/readyz`, { timeoutMs: 2000 });
        probes.push({ at, outcome: res.status ?? res.error ?? 'ERROR' });
        await sleep(20);
      }
    })();
    const fast = load('fast');
    const slow = load('slow');
    await sleep(800);
    relay.setDelay(SLOW_MS);
    await sleep(300);

    const termAt = performance.now();
    const exit = await fleet.kill('web-bff', 'SIGTERM');
    const exitedAt = performance.now();
    await sleep(500);
    fast.stop();
    slow.stop();
    probing = false;
    const samples: Sample[] = [...(await fast.done), ...(await slow.done)];
    await prober;

    const accessLog = fleet
      .logs('web-bff')
      .filter((l) => l.includes('"msg":"request"'))
      .map((l) => JSON.parse(l) as AccessLine)
      .filter((l) => l.requestId.startsWith('drain-'));
    const accepted = new Set(accessLog.map((l) => l.requestId));
    const dropped = samples.filter((s) => accepted.has(s.tag) && s.status === undefined);
    const answered = samples.filter((s) => s.status !== undefined);
    const failedUnaccepted = countBy(
      samples.filter((s) => s.status === undefined && !accepted.has(s.tag)),
      (s) => s.error ?? 'ERROR',
    );
    const firstNotReady = probes.find((p) => p.at >= termAt && p.outcome !== 200);
    const inDrain = samples.filter((s) => s.startedAt >= termAt && s.startedAt < termAt + DRAIN_MS - 100);
    const lateProbes = probes.filter((p) => p.at > termAt + DRAIN_MS + 300);
    const finishedInFlight = samples.filter((s) => s.status === 200 && s.latencyMs >= SLOW_MS - 100 && s.startedAt + s.latencyMs > termAt + DRAIN_MS);
    const report = [
      `exit ${JSON.stringify(exit)} after ${Math.round(exitedAt - termAt)} ms`,
      `readiness first failed ${firstNotReady ? `${Math.round(firstNotReady.at - termAt)} ms after SIGTERM with ${firstNotReady.outcome}` : 'never'}`,
      `${accepted.size} accepted (access log), ${dropped.length} of them dropped; ${answered.length} answered ${JSON.stringify(countBy(answered, (s) => String(s.status)))}`,
      `never accepted: ${JSON.stringify(failedUnaccepted)}`,
      `in the drain window: ${JSON.stringify(countBy(inDrain, (s) => String(s.status ?? s.error)))}`,
      `${finishedInFlight.length} slow requests finished after the server stopped accepting`,
      `probes after the drain window: ${JSON.stringify(countBy(lateProbes, (p) => String(p.outcome)))}`,
      `aborted in the access log: ${accessLog.filter((l) => l.aborted).length}`,
    ].join('; ');
    console.log(`      SIGTERM: ${report}`);

    expect(exit, report).to.deep.include({ code: 0, signal: null });
    expect(exitedAt - termAt, report).to.be.at.most(DRAIN_MS + SLOW_MS + 2000);
    expect(firstNotReady, report).to.not.equal(undefined);
    expect(firstNotReady!.at - termAt, report).to.be.at.most(250);
    expect(firstNotReady!.outcome, report).to.equal(503);
    expect(inDrain.length, report).to.be.greaterThan(20);
    expect(
      inDrain.every((s) => s.status === 200),
      report,
    ).to.equal(true);
    expect(accepted.size, report).to.be.greaterThan(200);
    expect(dropped.length, report).to.equal(0);
    expect(accessLog.filter((l) => l.aborted).length, report).to.equal(0);
    expect(
      answered.every((s) => s.status === 200),
      report,
    ).to.equal(true);
    expect(finishedInFlight.length, report).to.be.at.least(8);
    expect(lateProbes.length, report).to.be.greaterThan(5);
    expect(
      lateProbes.every((p) => p.outcome === 'ECONNREFUSED'),
      report,
    ).to.equal(true);
  });
});
