import { expect } from 'chai';
import Koa from 'koa';
import jwt from 'jsonwebtoken';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemMiddleware, type EdgeState, type Principal } from '@portico/edge';
import { composeHandler } from '../../src/compose/declarative';
import { composeSpecSchema } from '../../src/compose/compose-schema';
import { createUpstreams, type Upstreams } from '../../src/clients/upstreams';
import { createBff, type Bff } from '../../src/create-bff';
import { json, memoryLogger, sleep, startUpstream, type ScriptedUpstream } from '../clients/scripted-upstream';

const ORDER = { orderId: 'o1', state: 'APPROVED', restaurantId: 'r-1', consumerId: 'c-1', total: 10 };
const principal = (subject: string): Principal => ({ kind: 'jwt', issuer: 'iss', subject, scopes: [], roles: [] });

describe('compose spec `owner`', () => {
  const parts = [
    { key: 'order', upstream: 'order', path: '/orders/:orderId', required: true },
    { key: 'delivery', upstream: 'delivery', path: '/deliveries/:orderId' },
  ];

  it('accepts a field of a required part, nested fields included', () => {
    expect(composeSpecSchema.parse({ parts, owner: 'order.consumerId' }).owner).to.equal('order.consumerId');
    expect(composeSpecSchema.parse({ parts, owner: 'order.consumer.id' }).owner).to.equal('order.consumer.id');
  });

  it('refuses an unknown part, an optional part and a value that is not part.field', () => {
    const messages = (owner: string) => composeSpecSchema.safeParse({ parts, owner }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages('ticket.consumerId')).to.deep.equal(['owner: unknown part "ticket"']);
    expect(messages('delivery.consumerId')).to.deep.equal(['owner: the owning part "delivery" must be required: true']);
    expect(messages('order')).to.deep.equal(['owner: expected a field of a part like "order.consumerId"']);
  });
});

describe('composeHandler with owner (GET /orders/:orderId)', () => {
  let order: ScriptedUpstream;
  let restaurant: ScriptedUpstream;
  let delivery: ScriptedUpstream;
  let upstreams: Upstreams;
  let server: Server;
  let base: string;
  let subject: string | undefined;
  const afterNext: Array<{ status: number }> = [];

  before(async () => {
    [order, restaurant, delivery] = await Promise.all([startUpstream(), startUpstream(), startUpstream()]);
    upstreams = createUpstreams({ order: { url: order.url }, restaurant: { url: restaurant.url }, delivery: { url: delivery.url } }, { logger: memoryLogger() });
    const spec = composeSpecSchema.parse({
      parts: [
        { key: 'order', upstream: 'order', path: '/orders/:orderId', required: true, fields: ['orderId', 'state', 'restaurantId'] },
        { key: 'restaurant', upstream: 'restaurant', path: '/restaurants/{order.restaurantId}' },
        { key: 'delivery', upstream: 'delivery', path: '/deliveries/:orderId' },
      ],
      owner: 'order.consumerId',
    });
    const handler = composeHandler(spec, { upstreams, routePath: '/orders/:orderId', routeTimeoutMs: 2000 });
    const app = new Koa<EdgeState>();
    const log = memoryLogger();
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-1';
      ctx.state.log = log;
      if (subject !== undefined) ctx.state.principal = principal(subject);
      await next();
      afterNext.push({ status: ctx.status });
    });
    app.use(problemMiddleware());
    app.use(async (ctx, next) => {
      ctx.state.params = { orderId: ctx.path.split('/')[2] ?? '' };
      await handler(ctx, next);
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await upstreams.close();
    await Promise.all([order.close(), restaurant.close(), delivery.close()]);
  });
  beforeEach(() => {
    for (const up of [order, restaurant, delivery]) up.reset();
    afterNext.length = 0;
    subject = 'c-1';
    order.handler = (_req, res) => json(res, 200, ORDER);
    restaurant.handler = (_req, res) => json(res, 200, { name: 'Ajanta' });
    delivery.handler = (_req, res) => json(res, 200, { eta: '12:30' });
  });

  it('answers every part to the owner, checking a field the allow-list then drops', async () => {
    const res = await fetch(`${base}/orders/o1`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ order: { orderId: 'o1', state: 'APPROVED', restaurantId: 'r-1' }, restaurant: { name: 'Ajanta' }, delivery: { eta: '12:30' } });
    expect(afterNext[0]?.status).to.equal(200);
  });

  it('answers someone else’s order exactly like a missing one, never fetching dependents and aborting siblings', async () => {
    order.handler = (_req, res) => json(res, 404, {});
    const missing = await fetch(`${base}/orders/o1`);
    const missingBody = (await missing.json()) as Record<string, unknown>;

    order.handler = (_req, res) => json(res, 200, ORDER);
    delivery.handler = async (_req, res) => {
      await sleep(1500);
      json(res, 200, { eta: 'secret' });
    };
    subject = 'c-2';
    restaurant.reset();
    const aborted = delivery.nextEarlyClose();
    const t0 = Date.now();
    const res = await fetch(`${base}/orders/o1`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Date.now() - t0).to.be.below(1000);
    expect(res.status).to.equal(404);
    expect(body).to.deep.equal(missingBody);
    expect(body).to.include({ type: 'urn:portico:problem:not-found', detail: 'order not found' });
    expect(restaurant.hits).to.equal(0);
    await aborted;
    expect(delivery.earlyCloses).to.equal(1);
    expect(afterNext[1]?.status).to.equal(404);
  });

  it('answers 404 without a principal, or when the owner field is absent or not a string', async () => {
    subject = undefined;
    expect((await fetch(`${base}/orders/o1`)).status).to.equal(404);
    subject = 'c-1';
    order.handler = (_req, res) => json(res, 200, { ...ORDER, consumerId: undefined });
    expect((await fetch(`${base}/orders/o1`)).status).to.equal(404);
    order.handler = (_req, res) => json(res, 200, { ...ORDER, consumerId: ['c-1'] });
    expect((await fetch(`${base}/orders/o1`)).status).to.equal(404);
  });
});

describe('createBff with a compose: route', () => {
  const SECRET = 'compose-owner-test-secret-0123456789abcdef';
  let order: ScriptedUpstream;
  let delivery: ScriptedUpstream;
  let bff: Bff;
  let base: string;
  let dir: string;
  const token = (sub: string) => jwt.sign({ iss: 'test-iss', aud: 'web', sub }, SECRET, { algorithm: 'HS256', expiresIn: 300 });

  before(async () => {
    [order, delivery] = await Promise.all([startUpstream((_req, res) => json(res, 200, ORDER)), startUpstream((_req, res) => json(res, 200, { eta: '1' }))]);
    dir = mkdtempSync(join(tmpdir(), 'portico-compose-'));
    const routesFile = join(dir, 'routes.yaml');
    writeFileSync(
      routesFile,
      JSON.stringify({
        routes: [
          {
            id: 'get-order-details',
            method: 'GET',
            path: '/orders/:orderId',
            compose: {
              parts: [
                { key: 'order', upstream: 'order', path: '/orders/:orderId', required: true },
                { key: 'delivery', upstream: 'delivery', path: '/deliveries/:orderId' },
              ],
              owner: 'order.consumerId',
            },
            policy: { timeout: '2s' },
          },
        ],
      }),
    );
    bff = await createBff({
      serviceName: 'compose-test',
      routesFile,
      env: { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: SECRET, JWT_ISSUER: 'test-iss', JWT_AUDIENCE: 'web', ORDER_SERVICE_URL: order.url, DELIVERY_SERVICE_URL: delivery.url },
      upstreams: { order: 'ORDER_SERVICE_URL', delivery: 'DELIVERY_SERVICE_URL' },
      watch: false,
      signals: false,
    });
    const server = await bff.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await bff?.close();
    await Promise.all([order.close(), delivery.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the composition with the principal’s identity headers on every part, and 404 to another consumer', async () => {
    const res = await fetch(`${base}/orders/o1`, { headers: { authorization: `Bearer ${token('c-1')}` } });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ order: ORDER, delivery: { eta: '1' } });
    expect(order.seen.at(-1)?.['x-principal-subject']).to.equal('c-1');
    expect(delivery.seen.at(-1)?.['x-principal-subject']).to.equal('c-1');
    const other = await fetch(`${base}/orders/o1`, { headers: { authorization: `Bearer ${token('c-2')}` } });
    expect(other.status).to.equal(404);
    expect((await fetch(`${base}/orders/o1`)).status).to.equal(401);
  });
});
