/**
 * Upstream faults under steady load, against the real fleet: the delivery service killed and restarted (its circuit
 * opens, composed answers turn partial and fail fast, then close and complete again) and the kitchen service turned
 * slow by +3 s through a relay (the route deadline holds, event-loop lag and the BFF's other routes stay bounded).
 * The BFF is the public API (partner API keys, so quotas never interfere); its breakers half-open after 2 s here.
 */
import { expect } from 'chai';
import { startFleet, type Fleet } from '../support/fleet';
import { startDelayProxy, type DelayProxy } from '../support/delay-proxy';
import { BACKENDS, NEW_ORDER, countBy, probe, until, writeApiKeys } from '../support/fault-kit';
import { describeSummary, runLoad, summarize, type Sample } from '../support/load';
import { eventLoopLag, memoryOf, openFds } from '../support/proc-stats';

const BREAKER_OPEN = '2s';
const ROUTE_DEADLINE_MS = 3000; // routes.yaml › get-order-details › timeout
const CONNECTIONS = 16;
const RSS_BOUND_MIB = 128;

interface PartError {
  part: string;
  status: number;
  title: string;
}

// What a composed answer says about one part: `complete`, `<part> open` (CIRCUIT_OPEN: failed fast) or
// `<part> failed <status>` (the call was made and failed), from its `_errors` entry.
function partOutcome(sample: Sample, part: string): string {
  if (sample.status !== 200) return `status ${sample.status ?? sample.error}`;
  const body = JSON.parse(sample.body ?? '{}') as { _errors?: PartError[] } & Record<string, unknown>;
  const error = body._errors?.find((e) => e.part === part);
  if (error) return error.title === 'Upstream temporarily disabled' ? `${part} open` : `${part} failed ${error.status}`;
  return body._errors?.length ? `other part failed: ${JSON.stringify(body._errors)}` : 'complete';
}

describe('upstream faults under load (public-api, real backends)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let kitchenHttp: DelayProxy;
  let kitchenGrpc: DelayProxy;
  let keys: string[];
  let orderId: string;
  let api: string;

  const composed = (id: () => string) => (i: number) => ({ path: `/v1/orders/${id()}`, headers: { 'x-api-key': keys[i % keys.length]! }, tag: 'composed' });
  const placeOrder = async (): Promise<string> => {
    const res = await probe(`${api}/v1/orders`, {
      method: 'POST',
      headers: { 'x-api-key': keys[0]!, 'content-type': 'application/json' },
      body: JSON.stringify(NEW_ORDER),
    });
    expect(res.status, res.body).to.equal(201);
    return (JSON.parse(res.body) as { orderId: string }).orderId;
  };
  const completeAnswer = (id: string, ms: number) =>
    until(
      `a complete answer for order ${id}`,
      async () => {
        const res = await probe(`${api}/v1/orders/${id}`, { headers: { 'x-api-key': keys[1]! } });
        return res.status === 200 && !JSON.parse(res.body)._errors ? true : undefined;
      },
      ms,
    );

  before(async function () {
    this.timeout(60_000);
    const plan = await import('../../../scripts/fleet-plan.mjs');
    const kitchen = plan.discoverServices().find((s) => s.name === 'kitchen')!;
    const grpcOffset = kitchen.grpcPort ? kitchen.grpcPort - kitchen.defaultPort : 0;
    // The relays start first; which port the kitchen service got is known only once the fleet starts.
    kitchenHttp = await startDelayProxy(() => (fleet ? `127.0.0.1:${fleet.port('kitchen')}` : undefined));
    kitchenGrpc = await startDelayProxy(() => (fleet ? `127.0.0.1:${fleet.port('kitchen') + grpcOffset}` : undefined));
    const apiKeys = writeApiKeys(20, 'c-1001', 'partner');
    keys = apiKeys.keys;
    fleet = await startFleet({
      services: [...BACKENDS, 'public-api'],
      perService: {
        'public-api': {
          API_KEYS_FILE: apiKeys.file,
          UPSTREAM_BREAKER_OPEN: BREAKER_OPEN,
          KITCHEN_SERVICE_URL: kitchenHttp.url,
          KITCHEN_GRPC_ADDRESS: kitchenGrpc.address,
        },
      },
    });
    api = fleet.url('public-api');
    orderId = await placeOrder();
    await completeAnswer(orderId, 5000);
  });
  after(async () => {
    await fleet?.stopAll();
    await kitchenHttp?.close();
    await kitchenGrpc?.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });

  it('delivery killed: every answer stays 200 and partial, the circuit opens within its threshold and then fails fast (p99 ≤ baseline p99 + 100 ms, ≤ 32 more open fds, ≤ 128 MiB more RSS); restarted: it closes within 5 s and answers are complete', async () => {
    const pid = fleet.pid('public-api')!;
    const baseline = await runLoad({
      origin: api,
      connections: CONNECTIONS,
      durationMs: 1500,
      maxRequests: 4000,
      next: composed(() => orderId),
      keepBody: () => true,
    });
    expect(
      countBy(baseline, (s) => partOutcome(s, 'delivery')),
      'baseline',
    ).to.deep.equal({ complete: baseline.length });
    const fdsBefore = openFds(pid);
    const rssBefore = memoryOf(pid).rssMiB;

    await fleet.kill('delivery');
    const killedAt = performance.now();
    let fdsMax = 0;
    let rssMax = 0;
    const watch = setInterval(() => {
      fdsMax = Math.max(fdsMax, openFds(pid));
      rssMax = Math.max(rssMax, memoryOf(pid).rssMiB);
    }, 100);
    const down = await runLoad({
      origin: api,
      connections: CONNECTIONS,
      durationMs: 4000,
      maxRequests: 20_000,
      next: composed(() => orderId),
      keepBody: () => true,
    }).finally(() => clearInterval(watch));
    const after = down.filter((s) => s.startedAt > killedAt);
    const outcomes = countBy(after, (s) => partOutcome(s, 'delivery'));
    // In completion order: answers before the first open-circuit one, then after it.
    const byEnd = [...after].sort((a, b) => a.startedAt + a.latencyMs - (b.startedAt + b.latencyMs));
    const failed = (s: Sample) => partOutcome(s, 'delivery').startsWith('delivery failed');
    const firstOpen = byEnd.findIndex((s) => partOutcome(s, 'delivery') === 'delivery open');
    const failedBeforeOpen = byEnd.slice(0, Math.max(0, firstOpen)).filter(failed).length;
    const failedAfterOpen = byEnd.slice(firstOpen).filter(failed).length;
    const open = summarize(byEnd.slice(firstOpen).filter((s) => partOutcome(s, 'delivery') === 'delivery open'));
    const usual = summarize(baseline);
    const report = `outcomes ${JSON.stringify(outcomes)}; ${failedBeforeOpen} unreachable before the circuit opened (baseline successes in the window: ${baseline.length}), ${failedAfterOpen} after; open answers: ${describeSummary(open)} (baseline p99 ${usual.p99} ms); fds ${fdsBefore} → max ${fdsMax}; RSS ${rssBefore} → max ${rssMax} MiB`;
    console.log(`      delivery killed: ${report}`);

    expect(after.length, report).to.be.greaterThan(200);
    expect(
      Object.keys(outcomes).every((k) => k.startsWith('delivery ')),
      report,
    ).to.equal(true);
    expect(firstOpen, report).to.be.greaterThan(0);
    // ≥ 50% failures over ≥ 20 calls in 10 s: the window still holds the baseline's successes; plus what was in flight.
    expect(failedBeforeOpen, report).to.be.within(20, baseline.length + 3 * CONNECTIONS);
    // Once open, only half-open probes (one per 2 s) and calls already in flight reach the dead upstream.
    expect(failedAfterOpen, report).to.be.at.most(CONNECTIONS + 4);
    expect(open.count, report).to.be.greaterThan(100);
    // Failing fast: no wait on the dead upstream (a connect timeout would be 1.5 s), only the other four parts' time.
    expect(open.p99, report).to.be.at.most(usual.p99 + 100);
    expect(fdsMax - fdsBefore, report).to.be.at.most(32);
    // V8 grows its heap under allocation pressure before collecting, so RSS is bounded loosely; sockets are the tight bound.
    expect(rssMax - rssBefore, report).to.be.at.most(RSS_BOUND_MIB);

    await fleet.start('delivery');
    const restartedAt = Date.now();
    const fresh = await placeOrder();
    await completeAnswer(fresh, 5000);
    orderId = fresh; // the restarted delivery service knows only orders placed since
    const closedAfterMs = Date.now() - restartedAt;
    const recovered = await runLoad({
      origin: api,
      connections: CONNECTIONS,
      durationMs: 1500,
      maxRequests: 4000,
      next: composed(() => fresh),
      keepBody: () => true,
    });
    const rssRecovered = memoryOf(pid).rssMiB;
    const recoveredOutcomes = countBy(recovered, (s) => partOutcome(s, 'delivery'));
    console.log(`      delivery restarted: complete again after ${closedAfterMs} ms; then ${JSON.stringify(recoveredOutcomes)}; RSS ${rssRecovered} MiB`);
    expect(recoveredOutcomes).to.deep.equal({ complete: recovered.length });
    expect(recovered.every((s) => JSON.parse(s.body!).delivery !== null)).to.equal(true);
    expect(rssRecovered - rssBefore, `RSS ${rssBefore} → ${rssRecovered} MiB`).to.be.at.most(RSS_BOUND_MIB);
  });

  it(`kitchen slowed by +3 s: every composed answer is 200 with ticket null + 504 within the ${ROUTE_DEADLINE_MS} ms deadline (+250 ms); event-loop lag max ≤ 200 ms; GET /v1/orders (200/s) stays 200 with p99 ≤ baseline + 100 ms`, async () => {
    const other = (i: number) => ({ path: '/v1/orders', headers: { 'x-api-key': keys[i % keys.length]! }, tag: 'list' });
    const phase = (durationMs: number) =>
      Promise.all([
        runLoad({ origin: api, connections: 12, durationMs, maxRequests: 10_000, next: composed(() => orderId), keepBody: () => true }),
        runLoad({ origin: api, connections: 4, durationMs, maxRequests: 10_000, ratePerSec: 200, next: other }),
      ]);
    await eventLoopLag(api); // resets the histogram
    const [, listBefore] = await phase(2000);
    const lagBefore = await eventLoopLag(api);

    kitchenHttp.setDelay(3000);
    kitchenGrpc.setDelay(3000);
    const slowedAt = performance.now();
    try {
      const [composedSlow, listSlow] = await phase(4500);
      const lagSlow = await eventLoopLag(api);
      const slow = composedSlow.filter((s) => s.startedAt >= slowedAt);
      const outcomes = countBy(slow, (s) => partOutcome(s, 'ticket'));
      const composedSummary = summarize(slow);
      const before = summarize(listBefore);
      const during = summarize(listSlow);
      const report = `composed ${JSON.stringify(outcomes)}, ${describeSummary(composedSummary)}; list before ${describeSummary(before)}; list during ${describeSummary(during)}; lag max ${lagBefore.maxMs} → ${lagSlow.maxMs} ms`;
      console.log(`      kitchen slow: ${report}`);

      expect(slow.length, report).to.be.at.least(24);
      expect(outcomes, report).to.deep.equal({ 'ticket failed 504': slow.length });
      expect(composedSummary.max, report).to.be.at.most(ROUTE_DEADLINE_MS + 250);
      expect(lagSlow.maxMs, report).to.be.at.most(200);
      expect(during.outcomes, report).to.deep.equal({ '200': during.count });
      expect(during.count, report).to.be.greaterThan(600);
      expect(during.p99, report).to.be.at.most(before.p99 + 100);
    } finally {
      kitchenHttp.setDelay(0);
      kitchenGrpc.setDelay(0);
    }
    await completeAnswer(orderId, 10_000);
  });
});
