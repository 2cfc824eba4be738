import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { ConfigError, problemType } from '@portico/edge';
import { startBff, startMockUpstream, type MockUpstream, type StartedBff } from '@portico/testing';
import { FIXTURE_PROTOS, REPO_PROTOS, grpcError, startGrpcServer, type Handler, type TestGrpcServer } from '../grpc/grpc-harness';

const KITCHEN = 'portico.kitchen.v1.KitchenService';
const DELIVERY = 'portico.delivery.v1.DeliveryService';
const READY_BY = '1893499200000'; // 2030-01-01T12:00:00.000Z
const ETA = '1893501000000'; // 2030-01-01T12:30:00.000Z

const ROUTES = `
routes:
  - id: get-order-details
    method: GET
    path: /orders/:orderId
    policy: { auth: none, timeout: 2s }
    compose:
      margin: 20ms
      parts:
        - { key: order, upstream: order, path: '/orders/:orderId', required: true }
        - key: ticket
          grpc: { upstream: '\${KITCHEN_GRPC_ADDRESS}', service: ${KITCHEN}, method: GetTicket, request: { orderId: '{order.ticketRef}' }, times: iso }
          fields: [ticketId, state, readyBy]
          timeout: 300ms
        - key: delivery
          grpc: { upstream: '\${DELIVERY_GRPC_ADDRESS}', service: ${DELIVERY}, method: GetDelivery, request: { orderId: ':orderId' } }
  - id: get-ticket
    method: GET
    path: /tickets/:orderId
    policy: { auth: none, timeout: 2s }
    compose:
      parts:
        - key: ticket
          required: true
          grpc: { upstream: '\${KITCHEN_GRPC_ADDRESS}', service: ${KITCHEN}, method: GetTicket, request: { orderId: ':orderId' } }
`;

const ticketOf = (orderId: string) => ({ ticketId: `t-${orderId}`, orderId, restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-1', name: 'Soup', quantity: 2 }], state: 'PREPARING', readyByUnixMs: READY_BY, updatedAtUnixMs: READY_BY });
const deliveryOf = (orderId: string) => ({ deliveryId: `d-${orderId}`, orderId, state: 'PENDING', courier: { courierId: 'k-1', name: 'Dana' }, etaUnixMs: ETA, location: { lat: 37.8, lng: -122.27 } });

async function get(url: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('composeHandler with grpc: parts (real grpc-js backends through startBff)', function () {
  this.timeout(15_000);
  let order: MockUpstream;
  let kitchen: TestGrpcServer;
  let delivery: TestGrpcServer;
  let bff: StartedBff;
  let getTicket: Handler;
  let getDelivery: Handler;

  before(async () => {
    order = await startMockUpstream();
    kitchen = await startGrpcServer(REPO_PROTOS, 'portico/kitchen/v1/kitchen.proto', KITCHEN, { GetTicket: (req, call) => getTicket(req, call) });
    delivery = await startGrpcServer(REPO_PROTOS, 'portico/delivery/v1/delivery.proto', DELIVERY, { GetDelivery: (req, call) => getDelivery(req, call) });
    bff = await startBff({
      routes: ROUTES,
      env: { ORDER_SERVICE_URL: order.url, KITCHEN_GRPC_ADDRESS: kitchen.address, DELIVERY_GRPC_ADDRESS: delivery.address },
      upstreams: { order: 'ORDER_SERVICE_URL' },
      protoPath: REPO_PROTOS,
    });
  });
  after(async () => {
    await bff?.close();
    await Promise.all([kitchen?.stop(), delivery?.stop(), order?.stop()]);
  });
  beforeEach(() => {
    order.reset();
    order.on('GET', '/orders/*', (req) => {
      const id = req.pathname.split('/')[2] ?? '';
      return id === 'o-missing' ? { status: 404, json: { title: 'Not found' } } : { json: { orderId: id, ticketRef: `ref ${id}`, total: 10 } };
    });
    kitchen.seen.length = 0;
    delivery.seen.length = 0;
    getTicket = (req) => ticketOf(String(req.orderId));
    getDelivery = (req) => deliveryOf(String(req.orderId));
  });

  it('answers each gRPC part under its key: request from the path or an earlier answer, times as ISO on request, fields allow-listed', async () => {
    const res = await get(`${bff.url}/orders/o-1`);
    expect(res.status).to.equal(200);
    expect(res.body.order).to.deep.equal({ orderId: 'o-1', ticketRef: 'ref o-1', total: 10 });
    expect(res.body.ticket).to.deep.equal({ ticketId: 't-ref o-1', state: 'PREPARING', readyBy: '2030-01-01T12:00:00.000Z' });
    // Without `times: iso` the message keeps Portico's wire convention: int64 epoch ms as a decimal string.
    expect(res.body.delivery).to.deep.include({ deliveryId: 'd-o-1', etaUnixMs: ETA, courier: { courierId: 'k-1', name: 'Dana' } });
    expect(res.body).to.not.have.property('_errors');
    expect(kitchen.seen[0]?.request).to.deep.equal({ orderId: 'ref o-1' });
    expect(delivery.seen[0]?.request).to.deep.equal({ orderId: 'o-1' });
    expect(kitchen.seen[0]?.metadata['x-request-id']).to.equal(res.headers.get('x-request-id'));
    // The route deadline (2 s) travels as the gRPC deadline, less the margin.
    expect(kitchen.seen[0]!.deadline - kitchen.seen[0]!.at).to.be.within(0, 2000);
  });

  it('answers an optional part that is NOT_FOUND as null without an _errors entry, like an HTTP 404', async () => {
    getDelivery = () => {
      throw grpcError(status.NOT_FOUND, 'no delivery');
    };
    const res = await get(`${bff.url}/orders/o-2`);
    expect(res.status).to.equal(200);
    expect(res.body.delivery).to.equal(null);
    expect(res.body).to.not.have.property('_errors');
  });

  it('answers a failed optional part as null plus an _errors entry with the mapped status', async () => {
    getDelivery = () => {
      throw grpcError(status.INTERNAL, 'boom at 10.0.0.7');
    };
    getTicket = () => {
      throw grpcError(status.UNAVAILABLE, 'draining');
    };
    const res = await get(`${bff.url}/orders/o-3`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({ ticket: null, delivery: null });
    expect(res.body._errors).to.have.deep.members([
      { part: 'ticket', status: 503, title: 'Upstream unavailable' },
      { part: 'delivery', status: 500, title: 'Upstream failed internally' },
    ]);
    expect(JSON.stringify(res.body)).to.not.contain('10.0.0.7');
    // GetTicket is NO_SIDE_EFFECTS, so UNAVAILABLE was retried within the budget.
    expect(kitchen.seen.length).to.be.greaterThan(1);
  });

  it('answers null plus a 503 entry while the gRPC backend is down, and the part again once it is back', async () => {
    await delivery.stop();
    try {
      const res = await get(`${bff.url}/orders/o-4`);
      expect(res.status).to.equal(200);
      expect(res.body.delivery).to.equal(null);
      expect(res.body._errors).to.deep.equal([{ part: 'delivery', status: 503, title: 'Upstream unavailable' }]);
      expect(res.body.order).to.deep.include({ orderId: 'o-4' });
    } finally {
      await delivery.start();
    }
    let body: Record<string, unknown> = {};
    for (let i = 0; i < 50 && !body.delivery; i++) {
      body = (await get(`${bff.url}/orders/o-4`)).body;
      if (!body.delivery) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(body.delivery).to.deep.include({ deliveryId: 'd-o-4' });
  });

  it('gives a part its own timeout: a slow backend costs the part, not the answer', async () => {
    getTicket = async (req) => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return ticketOf(String(req.orderId));
    };
    const t0 = Date.now();
    const res = await get(`${bff.url}/orders/o-5`);
    expect(Date.now() - t0).to.be.below(900);
    expect(res.body.ticket).to.equal(null);
    expect(res.body._errors).to.deep.equal([{ part: 'ticket', status: 504, title: 'Upstream timed out' }]);
  });

  it('never calls a part that depends on a required part that failed', async () => {
    const res = await get(`${bff.url}/orders/o-missing`);
    expect(res.status).to.equal(404);
    expect(kitchen.seen).to.have.length(0);
  });

  it('answers a required gRPC part that is NOT_FOUND with 404 and one that fails with its mapped status', async () => {
    getTicket = (req) => {
      if (req.orderId === 'gone') throw grpcError(status.NOT_FOUND, 'no ticket');
      throw grpcError(status.PERMISSION_DENIED, 'nope');
    };
    const missing = await get(`${bff.url}/tickets/gone`);
    expect(missing.status).to.equal(404);
    expect(missing.body.type).to.equal(problemType('NOT_FOUND'));
    const denied = await get(`${bff.url}/tickets/t-1`);
    expect(denied.status).to.equal(403);
    expect(denied.body.type).to.equal(problemType('FORBIDDEN'));
  });

  it('refuses a gRPC part at start-up when its method, request field or protos do not exist, naming route and part', async () => {
    const route = (grpc: string) => `
routes:
  - id: details
    method: GET
    path: /orders/:orderId
    compose:
      parts:
        - { key: ticket, grpc: ${grpc} }
`;
    const env = { KITCHEN_GRPC_ADDRESS: kitchen.address };
    const cases: Array<[string, string | undefined, RegExp]> = [
      [`{ upstream: '\${KITCHEN_GRPC_ADDRESS}', service: ${KITCHEN}, method: GetTickets, request: { orderId: ':orderId' } }`, REPO_PROTOS, /details › compose: compose: part ticket: .*no method "GetTickets"/],
      [`{ upstream: '\${KITCHEN_GRPC_ADDRESS}', service: ${KITCHEN}, method: GetTicket, request: { ticket: ':orderId' } }`, REPO_PROTOS, /part ticket: request\.ticket: no field "ticket"/],
      [`{ upstream: '\${KITCHEN_GRPC_ADDRESS}', service: ${KITCHEN}, method: GetTicket, request: { orderId: ':orderId' } }`, undefined, /part ticket: no \.proto files loaded/],
    ];
    for (const [grpc, protoPath, message] of cases) {
      const err = await startBff({ routes: route(grpc), env, protoPath }).then(
        async (started) => {
          await started.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err, grpc).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).to.match(message);
    }
  });
});

describe('composeHandler with grpc: parts (request values that do not fit the proto)', function () {
  this.timeout(10_000);
  const SERVICE = 'portico.test.v1.TicketTestService';
  let order: MockUpstream;
  let tickets: TestGrpcServer;
  let bff: StartedBff;

  before(async () => {
    order = await startMockUpstream({ 'GET /orders/o-1': { json: { orderId: 'o-1', total: 10 } } });
    tickets = await startGrpcServer(FIXTURE_PROTOS, 'portico/test/v1/tickets.proto', SERVICE, { GetTicket: (req) => ({ orderId: req.orderId }) });
    bff = await startBff({
      routes: `
routes:
  - id: since
    method: GET
    path: /orders/:orderId/since/:since
    policy: { auth: none }
    compose:
      parts:
        - { key: order, upstream: order, path: '/orders/:orderId', required: true }
        - key: ticket
          grpc: { upstream: '\${TICKETS_GRPC_ADDRESS}', service: ${SERVICE}, method: GetTicket, request: { orderId: '{order.total}', sinceUnixMs: ':since', verbose: query.verbose } }
`,
      env: { ORDER_SERVICE_URL: order.url, TICKETS_GRPC_ADDRESS: tickets.address },
      upstreams: { order: 'ORDER_SERVICE_URL' },
      protoPath: FIXTURE_PROTOS,
    });
  });
  after(async () => {
    await bff?.close();
    await Promise.all([tickets?.stop(), order?.stop()]);
  });
  beforeEach(() => {
    order.reset();
    tickets.seen.length = 0;
  });

  it('answers 400 (path) or INVALID_QUERY before any backend is called when a client value does not fit its field', async () => {
    const path = await get(`${bff.url}/orders/o-1/since/yesterday`);
    expect(path.status).to.equal(400);
    expect(path.body.type).to.equal(problemType('BAD_REQUEST'));
    expect(String(path.body.detail)).to.contain('path parameter since');
    const query = await get(`${bff.url}/orders/o-1/since/1?verbose=maybe`);
    expect(query.body.type).to.equal(problemType('INVALID_QUERY'));
    expect(order.count() + tickets.seen.length).to.equal(0);
  });

  it('answers a part whose earlier answer does not fit the request as a bad upstream response, without calling it', async () => {
    const res = await get(`${bff.url}/orders/o-1/since/1`);
    expect(res.status).to.equal(200);
    expect(res.body.ticket).to.equal(null);
    expect(res.body._errors).to.deep.equal([{ part: 'ticket', status: 502, title: 'Upstream sent an invalid response' }]);
    expect(tickets.seen).to.have.length(0);
  });
});
