import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { request } from 'undici';
import { generateApiKey } from '@portico/edge';
import { cleanupPrefix, requireRedis, testRedisUrl, uniquePrefix } from '@portico/testing';
import { openApiContract, type OpenApiContract } from '../../services/public-api/test/support/openapi-contract';
import { send, type Answer, type SendOptions } from '../../services/public-api/test/support/public-api';
import { startFleet, type Fleet } from './support/fleet';

const BACKENDS = ['consumer', 'restaurant', 'order', 'kitchen', 'delivery', 'accounting'];
const REPO_ROOT = join(__dirname, '..', '..');
const STATES = ['APPROVED', 'PREPARING', 'READY_FOR_PICKUP', 'PICKED_UP', 'DELIVERED'];
const newOrder = {
  restaurantId: 'r-1',
  lineItems: [
    { menuItemId: 'm-101', quantity: 2 },
    { menuItemId: 'm-103', quantity: 1 },
  ],
  deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' },
};

interface OrderBody {
  orderId: string;
  consumerId: string;
  state: string;
}
interface Details {
  order: OrderBody;
  restaurant: { name: string } | null;
  ticket: unknown;
  delivery: unknown;
  bill: unknown;
  _errors?: Array<{ part: string; status: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('public API end to end (real backends and the public-api process)', function () {
  this.timeout(120_000);
  let fleet: Fleet;
  let dir: string;
  let contract: OpenApiContract;
  const keys: Record<string, string> = {};

  // Every answer the public API gives in this file is checked against its own OpenAPI document.
  async function api(method: string, path: string, options: SendOptions = {}): Promise<Answer> {
    const answer = await send(fleet.url('public-api'), method, path, options);
    contract.check(answer);
    return answer;
  }
  // The order service itself, to prove what was (not) created.
  async function ordersOf(consumerId: string): Promise<OrderBody[]> {
    const res = await request(`${fleet.url('order')}/orders?consumerId=${consumerId}`);
    return ((await res.body.json()) as { orders: OrderBody[] }).orders;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-e2e-public-api-'));
    const issue = (name: string, owner: string, plan: string, scopes = ['orders:read', 'orders:write']) => {
      const { key, record } = generateApiKey({ owner, plan, scopes });
      keys[name] = key;
      return record;
    };
    const records = [
      issue('alice', 'c-1001', 'standard'),
      issue('aliceReader', 'c-1001', 'free', ['orders:read']),
      issue('bob', 'c-1002', 'standard'),
      issue('carolFree', 'c-1003', 'free'),
      issue('carolPartner', 'c-1003', 'partner'),
    ];
    const keysFile = join(dir, 'api-keys.json');
    writeFileSync(keysFile, JSON.stringify(records, null, 2));
    fleet = await startFleet({
      services: [...BACKENDS, 'public-api'],
      perService: {
        order: { ORDER_STEP_TIME: '700ms' },
        delivery: { DELIVERY_PICKUP_TIME: '2s', DELIVERY_TRAVEL_TIME: '1s', COURIER_LOCATION_EVERY: '200ms' },
        'public-api': { API_KEYS_FILE: keysFile },
      },
    });
    const doc = await send(fleet.url('public-api'), 'GET', '/v1/openapi.json');
    expect(doc.status).to.equal(200);
    contract = openApiContract(doc.body as Record<string, unknown>);
    contract.check(doc);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });
  after(async () => {
    await fleet?.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 with a WWW-Authenticate challenge without a key and with an unknown or malformed one', async () => {
    const none = await api('GET', '/v1/orders');
    expect(none.status).to.equal(401);
    expect(none.headers['www-authenticate']).to.equal('Bearer realm="portico"');
    for (const key of [`pk_${'0'.repeat(16)}_${'A'.repeat(43)}`, 'pk_not-a-key', `${keys.alice!.slice(0, -1)}x`]) {
      const bad = await api('GET', '/v1/orders', { key });
      expect(bad.status).to.equal(401);
      expect(bad.headers['www-authenticate']).to.contain('error="invalid_token"');
    }
  });

  let watched: string;
  it('creates an order for the key owner (201 + Location) and reads its full detail', async () => {
    const created = await api('POST', '/v1/orders', { key: keys.alice, body: newOrder });
    expect(created.status).to.equal(201);
    const order = created.body as OrderBody;
    expect(order).to.include({ consumerId: 'c-1001', state: 'APPROVED' });
    expect(created.headers.location).to.equal(`/v1/orders/${order.orderId}`);
    watched = order.orderId;
    const details = await api('GET', String(created.headers.location), { key: keys.alice, bearer: true });
    expect(details.status).to.equal(200);
    const body = details.body as Details;
    expect(body.order.orderId).to.equal(watched);
    expect(body.restaurant?.name).to.equal('Ajanta');
    expect(body.ticket).to.not.equal(null);
    expect(body.delivery).to.not.equal(null);
    expect(body.bill).to.include({ amount: 2850, currency: 'USD' });
    expect(body).to.not.have.property('_errors');
    expect(details.headers.etag).to.match(/^W\/"[^"]+"$/);
    // Ticket and delivery came over gRPC: neither backend's REST API saw a read for this order.
    const rest = async (name: string) => (await request(`${fleet.url(name)}/metrics`)).body.text();
    expect(await rest('kitchen')).not.to.match(/http_requests_total\{route="\/tickets\/:orderId",method="GET"/);
    expect(await rest('delivery')).not.to.match(/http_requests_total\{route="\/deliveries\/:orderId",method="GET"/);
  });

  it('lets the order be watched by polling with If-None-Match (304 while unchanged) until it is delivered', async () => {
    let etag: string | undefined;
    const seen: string[] = [];
    let notModified = 0;
    const until = Date.now() + 20_000;
    while (seen.at(-1) !== 'DELIVERED') {
      if (Date.now() > until) throw new Error(`not delivered in time; states seen: ${seen.join(' → ')}`);
      const res = await api('GET', `/v1/orders/${watched}`, { key: keys.alice, headers: etag ? { 'if-none-match': etag } : {} });
      if (res.status === 304) {
        notModified += 1;
        expect(res.headers.etag).to.equal(etag);
      } else {
        expect(res.status).to.equal(200);
        expect(res.headers.etag).to.not.equal(etag);
        etag = String(res.headers.etag);
        const state = (res.body as Details).order.state;
        if (seen.at(-1) !== state) seen.push(state);
      }
      await sleep(150);
    }
    expect(notModified).to.be.greaterThan(0);
    // Every state observed, in life-cycle order (a fast step may be missed between polls, never reordered).
    expect(seen.map((s) => STATES.indexOf(s))).to.deep.equal([...seen.map((s) => STATES.indexOf(s))].sort((a, b) => a - b));
    expect(seen.length).to.be.at.least(3);
    const late = await api('POST', `/v1/orders/${watched}/cancel`, { key: keys.alice });
    expect(late.status).to.equal(409);
    expect((late.body as { detail: string }).detail).to.contain('DELIVERED');
  });

  it("lists only the key owner's orders, filtered by state", async () => {
    const delivered = await api('GET', '/v1/orders?state=DELIVERED', { key: keys.alice });
    expect(delivered.status).to.equal(200);
    expect((delivered.body as { orders: OrderBody[] }).orders.map((o) => o.orderId)).to.include(watched);
    const approved = await api('GET', '/v1/orders?state=APPROVED', { key: keys.alice });
    expect((approved.body as { orders: OrderBody[] }).orders.map((o) => o.orderId)).to.not.include(watched);
    const bobs = await api('GET', '/v1/orders', { key: keys.bob });
    expect((bobs.body as { orders: OrderBody[] }).orders.every((o) => o.consumerId === 'c-1002')).to.equal(true);
    expect((await api('GET', '/v1/orders?state=EATEN', { key: keys.alice })).status).to.equal(400);
  });

  it('cancels an order before pickup; a second cancel is 409', async () => {
    const created = await api('POST', '/v1/orders', { key: keys.alice, body: newOrder });
    const id = (created.body as OrderBody).orderId;
    const cancelled = await api('POST', `/v1/orders/${id}/cancel`, { key: keys.alice });
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body).to.include({ orderId: id, state: 'CANCELLED' });
    expect((await api('POST', `/v1/orders/${id}/cancel`, { key: keys.alice })).status).to.equal(409);
  });

  it("answers 404 when another consumer's key reads or cancels an order, and the order is untouched", async () => {
    const created = await api('POST', '/v1/orders', { key: keys.alice, body: newOrder });
    const id = (created.body as OrderBody).orderId;
    const read = await api('GET', `/v1/orders/${id}`, { key: keys.bob });
    expect(read.status).to.equal(404);
    expect(JSON.stringify(read.body)).to.not.contain('c-1001');
    expect((await api('POST', `/v1/orders/${id}/cancel`, { key: keys.bob })).status).to.equal(404);
    const mine = await api('GET', `/v1/orders/${id}`, { key: keys.alice });
    expect((mine.body as Details).order.state).to.not.equal('CANCELLED');
  });

  it('answers 403 insufficient_scope to POST with a key lacking orders:write, and creates nothing', async () => {
    const before = (await ordersOf('c-1001')).length;
    const res = await api('POST', '/v1/orders', { key: keys.aliceReader, body: newOrder });
    expect(res.status).to.equal(403);
    expect(res.headers['www-authenticate']).to.contain('error="insufficient_scope"');
    expect((await api('GET', '/v1/orders', { key: keys.aliceReader })).status).to.equal(200);
    expect(await ordersOf('c-1001')).to.have.length(before);
  });

  it('refuses a bad body with 422 (field errors) or 400 (not JSON) and creates nothing; the backend 422s an unknown item', async () => {
    const before = (await ordersOf('c-1001')).length;
    const invalid = await api('POST', '/v1/orders', {
      key: keys.alice,
      body: { restaurantId: 'r-1', lineItems: [], deliveryAddress: { street: 'x' }, consumerId: 'c-1002' },
    });
    expect(invalid.status).to.equal(422);
    const fields = (invalid.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields).to.include.members(['lineItems', 'deliveryAddress.city']);
    expect((await api('POST', '/v1/orders', { key: keys.alice, raw: '{"restaurantId": "r-1",' })).status).to.equal(400);
    const unknownItem = await api('POST', '/v1/orders', { key: keys.alice, body: { ...newOrder, lineItems: [{ menuItemId: 'm-999', quantity: 1 }] } });
    expect(unknownItem.status).to.equal(422);
    expect((unknownItem.body as { detail: string }).detail).to.contain('m-999');
    expect(await ordersOf('c-1001')).to.have.length(before);
  });

  it('enforces quotas per key: a free key gets 429 with headers on GET /v1/restaurants while a partner key is not limited', async () => {
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < 75 && !limited; i += 1) {
      const res = await api('GET', '/v1/restaurants', { key: keys.carolFree });
      statuses.push(res.status);
      expect(res.headers['ratelimit-policy']).to.equal('"list-restaurants";q=60;w=60');
      if (res.status === 429) limited = res;
    }
    expect(limited, 'a free key is limited within 75 requests').to.not.equal(undefined);
    expect(statuses.filter((s) => s === 200).length).to.be.within(60, 62);
    expect(Number(limited!.headers['retry-after'])).to.be.within(1, 120);
    expect(limited!.headers.ratelimit).to.match(/^"list-restaurants";r=0;t=\d+$/);
    expect(limited!.body).to.include({ type: 'urn:portico:problem:rate-limited', status: 429 });

    for (let i = 0; i < 75; i += 1) {
      const res = await api('GET', '/v1/restaurants', { key: keys.carolPartner });
      expect(res.status, `partner request ${i + 1}`).to.equal(200);
      expect(res.headers['ratelimit-policy']).to.equal('"list-restaurants";q=3000;w=60');
    }
    // The free key's quota is per operation: reading one restaurant still works.
    expect((await api('GET', '/v1/restaurants/r-1', { key: keys.carolFree })).status).to.equal(200);
  });

  it('answers partial details (delivery: null + _errors, no ETag) while the delivery service is stopped', async () => {
    const created = await api('POST', '/v1/orders', { key: keys.bob, body: newOrder });
    const id = (created.body as OrderBody).orderId;
    await fleet.stop('delivery');
    try {
      const res = await api('GET', `/v1/orders/${id}`, { key: keys.bob });
      expect(res.status).to.equal(200);
      const body = res.body as Details;
      expect(body.delivery).to.equal(null);
      // Delivery is read over gRPC: a backend that is down answers UNAVAILABLE (503), retried and then given up.
      expect(body._errors).to.deep.equal([{ part: 'delivery', status: 503, title: 'Upstream unavailable' }]);
      expect(body.order.orderId).to.equal(id);
      expect(body.bill).to.not.equal(null);
      expect(res.headers.etag).to.equal(undefined);
    } finally {
      await fleet.start('delivery');
    }
  });

  it('had every operation of the document exercised, each answer matching it', () => {
    const operations = new Set([...contract.checked.keys()].map((label) => label.split(' ').slice(0, 2).join(' ')));
    expect([...operations].sort()).to.deep.equal(
      [
        'GET /v1/openapi.json',
        'GET /v1/restaurants',
        'GET /v1/restaurants/{restaurantId}',
        'GET /v1/orders',
        'POST /v1/orders',
        'GET /v1/orders/{orderId}',
        'POST /v1/orders/{orderId}/cancel',
      ].sort(),
    );
    const statuses = new Set([...contract.checked.keys()].map((label) => label.split(' ')[2]));
    expect([...statuses]).to.include.members(['200', '201', '304', '400', '401', '403', '404', '409', '422', '429']);
  });
});

describe('public API end to end with Redis (keys from `npm run apikey`, shared quotas)', function () {
  this.timeout(60_000);
  const url = testRedisUrl();
  const prefix = uniquePrefix('e2e-public-api');
  let fleet: Fleet;

  function apikey(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !['NODE_OPTIONS', 'NODE_ENV', 'API_KEYS_FILE'].includes(name)));
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'apikey.mjs'), ...args], {
        cwd: REPO_ROOT,
        env: { ...env, REDIS_URL: url, REDIS_KEY_PREFIX: prefix },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  before(async () => {
    await requireRedis(url);
    fleet = await startFleet({ services: ['restaurant', 'public-api'], env: { REDIS_URL: url, REDIS_KEY_PREFIX: prefix } });
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });
  after(async () => {
    await fleet?.stopAll();
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  it('accepts a key issued into Redis by scripts/apikey.mjs without a restart, and counts its quota in Redis', async () => {
    const issued = await apikey(['--consumer', 'c-1001', '--plan', 'free']);
    expect(issued.code, issued.stderr).to.equal(0);
    const key = issued.stdout.trim();
    const doc = await send(fleet.url('public-api'), 'GET', '/v1/openapi.json');
    const contract = openApiContract(doc.body as Record<string, unknown>);
    const first = await send(fleet.url('public-api'), 'GET', '/v1/restaurants?cuisine=Indian', { key });
    contract.check(first);
    expect(first.status).to.equal(200);
    expect((first.body as { restaurants: Array<{ name: string }> }).restaurants.map((r) => r.name)).to.deep.equal(['Ajanta']);
    expect(first.headers.ratelimit).to.match(/^"list-restaurants";r=59;t=\d+$/);

    // A restarted public API still sees the key and the quota already used: both live in Redis.
    await fleet.stop('public-api');
    await fleet.start('public-api');
    const second = await send(fleet.url('public-api'), 'GET', '/v1/restaurants', { key, bearer: true });
    contract.check(second);
    expect(second.status).to.equal(200);
    expect(second.headers.ratelimit).to.match(/^"list-restaurants";r=58;t=\d+$/);
    const wrong = await send(fleet.url('public-api'), 'GET', '/v1/restaurants', { key: `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}` });
    contract.check(wrong);
    expect(wrong.status).to.equal(401);
  });
});
