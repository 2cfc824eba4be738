import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Middleware } from 'koa';
import { ConfigError, problemMiddleware, type EdgeState } from '@portico/edge';
import { parseRoutingMap } from '../../src/routing-map/load-routing-map';
import { compileRoutingMap, type CompileDeps } from '../../src/router/compile-routes';
import { createRouter, type Router } from '../../src/router/router';
import { send } from '../proxy/http-client';

function compile(yaml: string, deps: Partial<CompileDeps> = {}) {
  return compileRoutingMap(parseRoutingMap(yaml, '/etc/portico/routes.yaml', {}), {
    handlers: {},
    defaultBodyLimit: 1024,
    policyChain: () => [],
    proxy: () => {
      throw new Error('no upstreams in this test');
    },
    ...deps,
  });
}

describe('router', () => {
  let server: Server;
  let base: string;
  let router: Router;
  let release: () => void = () => undefined;
  let slowStarted = false;
  const chainRuns: string[] = [];

  const handlers: Record<string, Middleware<EdgeState>> = {
    getOrder: async function getOrder(ctx) {
      ctx.body = { version: 'v1', route: ctx.state.route, params: ctx.state.params, path: ctx.path };
    },
    slowOrder: async function slowOrder(ctx) {
      slowStarted = true;
      await new Promise<void>((resolve) => (release = resolve));
      ctx.body = { version: 'v1-slow' };
    },
    getOrderV2: async function getOrderV2(ctx) {
      ctx.body = { version: 'v2' };
    },
    echoBody: async function echoBody(ctx) {
      ctx.body = { body: ctx.state.body };
    },
  };
  const policyChain: CompileDeps['policyChain'] = (route) => [
    async function recordChain(ctx, next) {
      chainRuns.push(`${route.id}:${ctx.state.route?.id}`);
      await next();
    },
  ];
  const V1 = `
routes:
  - { id: get-order, method: [GET, DELETE], path: /orders/:orderId, handler: getOrder, policy: { auth: none } }
  - { id: slow-order, method: GET, path: /slow, handler: slowOrder, policy: { auth: none } }
  - { id: create-order, method: POST, path: /orders, handler: echoBody, policy: { auth: none, body: { type: object, properties: { qty: { type: integer, minimum: 1 } }, required: [qty] } } }
`;

  before(async () => {
    router = createRouter(compile(V1, { handlers, policyChain }));
    const app = new Koa<EdgeState>();
    app.use(problemMiddleware());
    app.use(router.middleware);
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sets ctx.state.route and decoded params before the route chain runs, with the normalised path', async () => {
    chainRuns.length = 0;
    const answer = await send(base, '/orders/./a%20b/../42');
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.equal({
      version: 'v1',
      route: { id: 'get-order', template: '/orders/:orderId' },
      params: { orderId: '42' },
      path: '/orders/42',
    });
    expect(chainRuns).to.deep.equal(['get-order:get-order']);
  });

  it('answers 405 problem+json with Allow for a known path and another method', async () => {
    const answer = await send(base, '/orders/42', { method: 'PUT' });
    expect(answer.status).to.equal(405);
    expect(answer.headers.allow).to.equal('DELETE, GET, HEAD');
    expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(answer.json().type).to.equal('urn:portico:problem:method-not-allowed');
  });

  it('answers 404 problem+json for an unknown path', async () => {
    const answer = await send(base, '/admin');
    expect(answer.status).to.equal(404);
    expect(answer.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(answer.json().type).to.equal('urn:portico:problem:not-found');
  });

  it('validates a declared body: 422 listing the problems, else the handler gets the parsed body', async () => {
    const bad = await send(base, '/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"qty":0}' });
    expect(bad.status).to.equal(422);
    expect(bad.json().errors).to.have.length(1);
    const good = await send(base, '/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"qty":2,"note":"x"}' });
    expect(good.json()).to.deep.equal({ body: { qty: 2, note: 'x' } });
    const large = await send(base, '/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ qty: 1, pad: 'x'.repeat(2000) }),
    });
    expect(large.status).to.equal(413);
  });

  it('swaps maps atomically: a request in flight finishes on the map it started with', async () => {
    const inFlight = send(base, '/slow');
    while (!slowStarted) await new Promise((resolve) => setTimeout(resolve, 5));
    const before = router.current().version;
    router.swap(
      compile('routes:\n  - { id: get-order, method: GET, path: /orders/:orderId, handler: getOrderV2, policy: { auth: none } }\n', { handlers, policyChain }),
    );
    expect(router.current().version).to.not.equal(before);
    expect((await send(base, '/orders/1')).json()).to.deep.equal({ version: 'v2' });
    expect((await send(base, '/slow')).status).to.equal(404);
    release();
    expect((await inFlight).json()).to.deep.equal({ version: 'v1-slow' });
  });
});

describe('compileRoutingMap', () => {
  it('refuses an unknown handler, naming file, route and field', () => {
    expect(() =>
      compile('routes:\n  - { id: get-order, method: GET, path: /o, handler: nope, policy: { auth: none } }\n', {
        handlers: { getOrder: async () => undefined },
      }),
    )
      .to.throw(ConfigError)
      .with.property('problems')
      .that.deep.equals(['routes.yaml › get-order › handler: no handler named "nope" (known: getOrder)']);
  });

  it('reports an edge slice that cannot be built as a line naming the route', () => {
    const policyChain = () => {
      throw new ConfigError(['policy.credentials: the route accepts jwt but none is configured']);
    };
    expect(() => compile('routes:\n  - { id: get-order, method: GET, path: /o, handler: h }\n', { handlers: { h: async () => undefined }, policyChain }))
      .to.throw(ConfigError)
      .with.property('problems')
      .that.deep.equals(['routes.yaml › get-order › policy.credentials: the route accepts jwt but none is configured']);
  });
});
