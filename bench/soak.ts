/**
 * Soak: the real fleet under steady mixed traffic — proxied, composed, authenticated, rate-limited, bad tokens and
 * WebSocket live updates — for SOAK_DURATION (default 10m), reporting per minute RSS, event-loop lag, unexpected
 * answers and latency percentiles. Fails on any unexpected answer or unbounded memory growth. Needs Redis and a build.
 * Run: `make soak` or `SOAK_DURATION=2m npx tsx bench/soak.ts`. Writes docs/benchmarks/soak.{md,json}.
 */
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { request } from 'undici';
import WebSocket from 'ws';
import { generateApiKey, parseDuration, RedisApiKeyStore } from '@portico/edge';
import { cleanupPrefix, requireRedis, testRedisUrl, uniquePrefix } from '@portico/testing';
import { startFleet, type Fleet } from '../test/e2e/support/fleet';
import { startLoad, type LoadRequest, type LoadRun } from '../test/e2e/support/load';
import { eventLoopLag, memoryOf } from '../test/e2e/support/proc-stats';
import { writeSection } from './lib/report';
import { SoakBook, memoryVerdict, soakMarkdown, type ProcessSample } from './lib/soak-report';

const DURATION_MS = parseDuration(process.env.SOAK_DURATION ?? '10m') ?? NaN;
if (!(DURATION_MS >= 10_000 && DURATION_MS <= 6 * 3_600_000)) {
  console.error(`SOAK_DURATION: expected a duration from 10s to 6h like "10m", got "${process.env.SOAK_DURATION}"`);
  process.exit(2);
}
const BACKENDS = ['consumer', 'restaurant', 'order', 'kitchen', 'delivery', 'accounting'];
const BFFS = ['web-bff', 'mobile-bff', 'public-api'];
const CONSUMERS = ['c-1001', 'c-1002', 'c-1003'];
// A short simulated order life cycle, so each WebSocket session sees APPROVED … DELIVERED within a few seconds.
const TIMINGS = {
  ORDER_STEP_TIME: '250ms',
  KITCHEN_PREP_TIME: '500ms',
  DELIVERY_PICKUP_TIME: '750ms',
  DELIVERY_TRAVEL_TIME: '250ms',
  COURIER_LOCATION_EVERY: '500ms',
};
const NEW_ORDER = {
  restaurantId: 'r-1',
  lineItems: [{ menuItemId: 'm-101', quantity: 1 }],
  deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' },
};
const WS_EVERY_MS = 5_000;
const WS_TIMEOUT_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stream {
  name: string;
  describe: string;
  bff: string;
  ratePerSec: number;
  next: (i: number) => LoadRequest;
  expected: (status: number | undefined) => boolean;
}

async function placeOrder(web: string, token: string): Promise<string> {
  const res = await request(`${web}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(NEW_ORDER),
    headersTimeout: 10_000,
  });
  const body = (await res.body.json()) as { orderId?: string };
  if (res.statusCode !== 201 || !body.orderId) throw new Error(`placing an order answered ${res.statusCode}`);
  return body.orderId;
}

// Follows one order's live updates to DELIVERED; resolves with what went wrong, or undefined.
function followOrder(web: string, orderId: string, token: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${web.replace(/^http/, 'ws')}/orders/${orderId}/live`, ['bearer', token]);
    const timer = setTimeout(() => (ws.terminate(), resolve(`order ${orderId}: no DELIVERED within ${WS_TIMEOUT_MS} ms`)), WS_TIMEOUT_MS);
    const finish = (problem: string | undefined) => (clearTimeout(timer), resolve(problem));
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { state?: string }).state === 'DELIVERED') (ws.close(), finish(undefined));
    });
    ws.on('unexpected-response', (_req, res) => finish(`upgrade answered ${res.statusCode}`));
    ws.on('error', (err) => finish(`socket error ${err.message}`));
  });
}

async function sampleProcesses(fleet: Fleet): Promise<Record<string, ProcessSample>> {
  const out: Record<string, ProcessSample> = {};
  for (const name of BFFS) {
    const pid = fleet.pid(name);
    if (!pid) throw new Error(`${name} is not running`);
    const mem = memoryOf(pid);
    const lag = await eventLoopLag(fleet.url(name));
    out[name] = { rssMiB: mem.rssMiB, peakMiB: mem.peakMiB, lagMaxMs: lag.maxMs, lagP99Ms: lag.p99Ms };
  }
  return out;
}

async function main(): Promise<void> {
  const redisUrl = testRedisUrl();
  await requireRedis(redisUrl);
  const prefix = uniquePrefix('soak');
  const local = await import('../scripts/local-dev.mjs');
  const sign = (aud: string, sub: string) =>
    jwt.sign({ scope: 'orders:read orders:write' }, local.LOCAL_JWT_SECRET, {
      algorithm: 'HS256',
      issuer: local.LOCAL_JWT_ISSUER,
      audience: aud,
      subject: sub,
      expiresIn: Math.ceil(DURATION_MS / 1000) + 600,
    });
  const webTokens = Array.from({ length: 600 }, (_, i) => sign('web', `soak-web-${i}`));
  const mobileTokens = Array.from({ length: 600 }, (_, i) => sign('mobile', `soak-mobile-${i}`));
  const consumerWeb = CONSUMERS.map((c) => sign('web', c));
  const hot = sign('mobile', 'soak-hot');

  const redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const { key: apiKey, record } = generateApiKey({ owner: 'c-1001', plan: 'partner', scopes: ['orders:read', 'orders:write'] });
  await new RedisApiKeyStore({ redis, keyPrefix: prefix }).put(record);

  const fleet = await startFleet({ services: [...BACKENDS, ...BFFS], env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn', ...TIMINGS } });
  const loads: LoadRun[] = [];
  let failed = false;
  try {
    const web = fleet.url('web-bff');
    const orders = await Promise.all(consumerWeb.map((t) => placeOrder(web, t)));
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const streams: Stream[] = [
      {
        name: 'web proxied',
        describe: 'web-bff GET /restaurants/:id and /restaurants?cuisine= (proxied, cached), 600 principals, 30/s',
        bff: 'web-bff',
        ratePerSec: 30,
        next: (i) => ({
          path: i % 2 ? '/restaurants/r-1' : `/restaurants?cuisine=${['indian', 'thai', 'pizza'][i % 3]}`,
          headers: bearer(webTokens[i % 600]!),
        }),
        expected: (s) => s === 200,
      },
      {
        name: 'web composed',
        describe: 'web-bff GET /orders/:id (five-part composition), the three seeded consumers, 4/s',
        bff: 'web-bff',
        ratePerSec: 4,
        next: (i) => ({ path: `/orders/${orders[i % 3]}`, headers: bearer(consumerWeb[i % 3]!) }),
        expected: (s) => s === 200,
      },
      {
        name: 'public composed',
        describe: 'public-api GET /v1/orders/:id (code composition) with a partner API key, 15/s',
        bff: 'public-api',
        ratePerSec: 15,
        next: () => ({ path: `/v1/orders/${orders[0]}`, headers: { 'x-api-key': apiKey } }),
        expected: (s) => s === 200,
      },
      {
        name: 'mobile',
        describe: 'mobile-bff GET /restaurants and GET /orders (handlers), 600 principals, 20/s',
        bff: 'mobile-bff',
        ratePerSec: 20,
        next: (i) => ({ path: i % 2 ? '/restaurants' : '/orders', headers: bearer(mobileTokens[i % 600]!) }),
        expected: (s) => s === 200,
      },
      {
        name: 'rate-limited',
        describe: 'mobile-bff GET /restaurants/:id from one principal at 4/s against its 120/min limit (200 or 429 expected)',
        bff: 'mobile-bff',
        ratePerSec: 4,
        next: () => ({ path: '/restaurants/r-1', headers: bearer(hot) }),
        expected: (s) => s === 200 || s === 429,
      },
      {
        name: 'bad tokens',
        describe: 'web-bff GET /restaurants/r-1 with forged tokens, 2/s (401 expected)',
        bff: 'web-bff',
        ratePerSec: 2,
        next: (i) => ({ path: '/restaurants/r-1', headers: bearer(`${webTokens[i % 600]!.slice(0, -6)}AAAAAA`) }),
        expected: (s) => s === 401,
      },
    ];
    const minutes = Math.ceil(DURATION_MS / 60_000);
    const startedAt = performance.now();
    const book = new SoakBook(startedAt, minutes);
    await sampleProcesses(fleet); // resets the lag histograms
    for (const stream of streams) {
      loads.push(
        startLoad({
          origin: fleet.url(stream.bff),
          connections: Math.max(2, Math.ceil(stream.ratePerSec / 5)),
          durationMs: DURATION_MS,
          maxRequests: Math.ceil((stream.ratePerSec * DURATION_MS) / 1000) + 10,
          ratePerSec: stream.ratePerSec,
          next: stream.next,
          keepBody: (status) => !stream.expected(status),
          onSample: (sample) => book.http(stream.name, sample, stream.expected(sample.status)),
        }),
      );
    }
    const endAt = startedAt + DURATION_MS;
    const sessions: Array<Promise<void>> = [];
    const wsLoop = (async () => {
      for (let i = 0; performance.now() + WS_EVERY_MS < endAt; i++) {
        const token = consumerWeb[i % 3]!;
        sessions.push(
          placeOrder(web, token)
            .then((id) => followOrder(web, id, token))
            .then((problem) => book.ws(problem === undefined, problem))
            .catch((err: Error) => book.ws(false, err.message)),
        );
        await sleep(WS_EVERY_MS);
      }
    })();
    for (let m = 1; m <= minutes; m++) {
      await sleep(Math.max(0, startedAt + Math.min(m * 60_000, DURATION_MS) - performance.now()));
      book.processes.push(await sampleProcesses(fleet));
      const bucket = book.minutes[m - 1];
      console.log(
        `soak: minute ${m}/${minutes}: ${bucket?.requests ?? 0} requests, ${bucket?.unexpected ?? 0} unexpected, ${BFFS.map((b) => `${b} ${book.processes.at(-1)![b]!.rssMiB} MiB`).join(', ')}`,
      );
    }
    await Promise.all(loads.map((l) => l.done));
    await wsLoop;
    await Promise.all(sessions);

    const unexpected = book.minutes.reduce((n, m) => n + m.unexpected, 0);
    const rl = book.minutes.reduce(
      (acc, m) => ({ ok: acc.ok + (m.outcomes['rate-limited']?.['200'] ?? 0), limited: acc.limited + (m.outcomes['rate-limited']?.['429'] ?? 0) }),
      { ok: 0, limited: 0 },
    );
    const memory = memoryVerdict(book.processes, BFFS);
    const reasons = [
      `${unexpected} unexpected answers of ${book.minutes.reduce((n, m) => n + m.requests, 0)} requests and ${book.minutes.reduce((n, m) => n + m.ws.ok + m.ws.failed, 0)} WebSocket sessions.`,
      `Rate limiting engaged: ${rl.ok} × 200 and ${rl.limited} × 429 on the hot principal.`,
      memory.judged
        ? `Memory: ${
            memory.rows.every((r) => r.ok)
              ? 'bounded'
              : `growing in ${memory.rows
                  .filter((r) => !r.ok)
                  .map((r) => r.name)
                  .join(', ')}`
          }.`
        : 'Memory: not judged (short run).',
    ];
    failed = unexpected > 0 || rl.limited === 0 || rl.ok === 0 || memory.rows.some((r) => !r.ok);
    const command = process.env.SOAK_DURATION ? `SOAK_DURATION=${process.env.SOAK_DURATION} make soak` : 'make soak';
    const mix = [
      ...streams.map((s) => s.describe),
      `WebSocket: every ${WS_EVERY_MS / 1000} s an order is placed through web-bff and its live updates followed to DELIVERED`,
    ];
    writeSection('soak', {
      markdown: soakMarkdown({
        book,
        bffs: BFFS,
        durationMin: Math.round(DURATION_MS / 6000) / 10,
        command,
        mix,
        passed: !failed,
        reasons,
        date: new Date().toISOString(),
      }),
      json: {
        durationMs: DURATION_MS,
        passed: !failed,
        reasons,
        minutes: book.minutes.map(({ latencies, ...m }) => ({ ...m, latencies: latencies.length })),
        processes: book.processes,
        examples: book.examples,
      },
    });
    console.log(`soak: ${failed ? 'FAILED' : 'passed'}: ${reasons.join(' ')}`);
  } catch (err) {
    failed = true;
    console.error(err);
    console.error(fleet.dump());
  } finally {
    for (const l of loads) l.stop();
    await fleet.stopAll();
    await cleanupPrefix(redis, prefix).catch(() => 0);
    redis.disconnect();
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
