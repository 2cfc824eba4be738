/**
 * getOrderDetails through each BFF of the real fleet (mobile-bff, web-bff, public-api) against a client making the same
 * five backend calls one after another (order, kitchen, delivery, accounting, restaurant over HTTP): c=1 latency and
 * c=10 throughput with bench/servers/load-client.ts, bounded request counts that stay inside the routes' rate limits.
 * Writes docs/benchmarks/bff-order-details.{md,svg,json}. Needs a build; no Redis (REDIS_URL is not passed on).
 */
import { createSecretKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { request } from 'undici';
import { generateApiKey } from '@portico/edge';
import type { Fleet } from '../test/e2e/support/fleet';
import { runClientRounds, startLoadClient, type ClientScenario, type LoadClient } from './lib/client-rounds';
import { BACKENDS, BFFS, FROZEN_ORDERS, startPinnedFleet } from './lib/fleet';
import { RateBudget } from './lib/rate-budget';
import { benchSettings, fmt, machineInfo, resultsChartSvg, publishSection } from './lib/report';
import { orderDetailsMarkdown, type Prepared, type Target } from './lib/order-details-report';
import { runMain } from './lib/processes';

const CONSUMERS = ['c-1001', 'c-1002', 'c-1003'];
const NEW_ORDER = { restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 1 }], deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' } };
/** Requests per measured run (each counts against the route's limit), and per warm-up run. */
const COUNTS = { c1: Number(process.env.BENCH_ORDER_DETAILS_C1 ?? 100), c10: Number(process.env.BENCH_ORDER_DETAILS_C10 ?? 100), warmup: 60 };
/** The routes' limits per principal, as routes.yaml states them (mobile/web 120/min; public-api's partner plan 3000/min). */
const LIMITS: Record<string, number> = { 'mobile-bff': 120, 'web-bff': 120, 'public-api': 3000 };
const WINDOW_MS = 60_000;
const DIRECT = 'client → 5 backends, one after another';

async function json(url: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(url, { ...init, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function prepare(fleet: Fleet, apiKeys: Map<string, string>): Promise<Prepared> {
  const local = await import('../scripts/local-dev.mjs');
  const secret = createSecretKey(Buffer.from(local.LOCAL_JWT_SECRET, 'utf8'));
  // As `npm run token` signs them: HS256 with the local-development secret, the BFF's audience, the consumer as subject.
  const token = (aud: string, sub: string) =>
    jwt.sign({ scope: 'orders:read orders:write', roles: ['consumer'] }, secret, { algorithm: 'HS256', issuer: local.LOCAL_JWT_ISSUER, audience: aud, subject: sub, expiresIn: '2h' });
  const bearer = (aud: string) => (consumer: string) => ({ authorization: `Bearer ${token(aud, consumer)}` });
  const targets: Target[] = [
    { name: 'mobile-bff', url: (id) => `${fleet.url('mobile-bff')}/orders/${id}`, headers: bearer(local.LOCAL_JWT_AUDIENCES['mobile-bff']!), backends: 3 },
    { name: 'web-bff', url: (id) => `${fleet.url('web-bff')}/orders/${id}`, headers: bearer(local.LOCAL_JWT_AUDIENCES['web-bff']!), backends: 5 },
    { name: 'public-api', url: (id) => `${fleet.url('public-api')}/v1/orders/${id}`, headers: (c) => ({ 'x-api-key': apiKeys.get(c)! }), backends: 5 },
  ];
  // One real order per consumer, placed through web-bff as the browser app does; the frozen timings keep it APPROVED.
  const orders = new Map<string, string>();
  for (const consumer of CONSUMERS) {
    const placed = await json(`${fleet.url('web-bff')}/orders`, {
      method: 'POST',
      headers: { ...targets[1]!.headers(consumer), 'content-type': 'application/json' },
      body: JSON.stringify(NEW_ORDER),
    });
    if (placed.status !== 201 || typeof placed.body.orderId !== 'string') throw new Error(`placing an order for ${consumer} answered ${placed.status} ${JSON.stringify(placed.body)}`);
    orders.set(consumer, placed.body.orderId);
  }
  const budgets = new Map(targets.map((t) => [t.name, new RateBudget(LIMITS[t.name]!, WINDOW_MS, CONSUMERS)]));
  // The pre-load check: each BFF refuses a request without credentials and answers the owner with the order.
  for (const t of targets) {
    const [consumer, orderId] = [CONSUMERS[0]!, orders.get(CONSUMERS[0]!)!];
    const anonymous = await json(t.url(orderId));
    if (anonymous.status !== 401) throw new Error(`${t.name}: expected 401 without credentials, got ${anonymous.status}`);
    const owned = await json(t.url(orderId), { headers: t.headers(consumer) });
    budgets.get(t.name)!.record(consumer, 1);
    const body = owned.body as { orderId?: string; order?: { orderId?: string }; _errors?: unknown };
    if (owned.status !== 200 || (body.orderId ?? body.order?.orderId) !== orderId) throw new Error(`${t.name}: expected 200 with order ${orderId}, got ${owned.status} ${JSON.stringify(owned.body).slice(0, 300)}`);
    if (body._errors) throw new Error(`${t.name}: a part failed: ${JSON.stringify(body._errors)}`);
  }
  const direct = (orderId: string) => [
    `${fleet.url('order')}/orders/${orderId}`,
    `${fleet.url('kitchen')}/tickets/${orderId}`,
    `${fleet.url('delivery')}/deliveries/${orderId}`,
    `${fleet.url('accounting')}/bills/${orderId}`,
    `${fleet.url('restaurant')}/restaurants/${NEW_ORDER.restaurantId}`,
  ];
  for (const url of direct(orders.get(CONSUMERS[0]!)!)) {
    const answer = await json(url);
    if (answer.status !== 200) throw new Error(`direct: ${url} answered ${answer.status}`);
  }
  return { targets, orders, budgets, direct };
}

function scenarios(fleet: Fleet, prepared: Prepared): ClientScenario[] {
  const count = (round: number, connections: number) => (round === 0 ? COUNTS.warmup : connections === 1 ? COUNTS.c1 : COUNTS.c10);
  const out: ClientScenario[] = [];
  for (const connections of [1, 10]) {
    for (const t of prepared.targets) {
      const budget = prepared.budgets.get(t.name)!;
      let consumer = CONSUMERS[0]!;
      out.push({
        name: `${t.name} getOrderDetails (c=${connections})`,
        connections,
        pid: fleet.pid(t.name),
        async before(round) {
          consumer = await budget.acquire(count(round, connections));
        },
        spec: (round) => ({ steps: [{ url: t.url(prepared.orders.get(consumer)!), headers: t.headers(consumer) }], connections, requests: count(round, connections) }),
        after: (_round, result) => budget.record(consumer, result.requests),
      });
    }
    let turn = 0;
    out.push({
      name: `${DIRECT} (c=${connections})`,
      connections,
      // The three orders in turn, like the BFF scenarios; no limit applies to the backends.
      spec: (round) => ({ steps: prepared.direct(prepared.orders.get(CONSUMERS[turn++ % CONSUMERS.length]!)!).map((url) => ({ url })), connections, requests: count(round, connections) }),
    });
  }
  return out;
}

async function main(): Promise<void> {
  const settings = benchSettings();
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-order-details-'));
  const keysFile = join(dir, 'api-keys.json');
  const apiKeys = new Map<string, string>();
  const records = CONSUMERS.map((consumer) => {
    const { key, record } = generateApiKey({ owner: consumer, plan: 'partner', scopes: ['orders:read', 'orders:write'] });
    apiKeys.set(consumer, key);
    return record;
  });
  writeFileSync(keysFile, JSON.stringify(records, null, 2));
  let fleet: Fleet | undefined;
  let client: LoadClient | undefined;
  try {
    fleet = await startPinnedFleet([...BACKENDS, ...BFFS], { env: { ...FROZEN_ORDERS }, perService: { 'public-api': { API_KEYS_FILE: keysFile } }, readyTimeoutMs: 60_000 });
    client = await startLoadClient(0);
    const prepared = await prepare(fleet, apiKeys);
    const started = Date.now();
    const results = await runClientRounds(client, scenarios(fleet, prepared), { rounds: settings.rounds, warmup: true, repeatOnSteal: false, log: (line) => console.log(line) });
    const waitedS = Math.max(...[...prepared.budgets.values()].map((b) => b.waitedMs)) / 1000;
    const machine = machineInfo();
    const { markdown, summary } = orderDetailsMarkdown({ results, prepared, settings, counts: COUNTS, limits: LIMITS, direct: DIRECT, date: machine.date, runS: (Date.now() - started) / 1000, waitedS });
    const svg = resultsChartSvg('getOrderDetails', results, (name: string) => name.replace(' getOrderDetails', ''));
    publishSection('bff-order-details', { markdown, svg, json: { machine, settings, counts: COUNTS, limits: LIMITS, summary, results } });
    console.log(`(${fmt(waitedS)} s of the run waited for rate-limit room)`);
  } catch (err) {
    if (fleet) console.error(fleet.dump().split('\n').slice(-40).join('\n'));
    throw err;
  } finally {
    await client?.stop();
    await fleet?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
