import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import type { Middleware } from 'koa';
import { ConfigError, problemType, type EdgeState } from '@portico/edge';
import { startBff } from '@portico/testing';
import { composeParts } from '../../src/compose/parts';
import { requestDeadline } from '../../src/compose/request-deadline';
import { Deadline } from '../../src/clients/deadline';
import type { BffGrpc } from '../../src/grpc/bff-grpc';
import { FIXTURE_PROTOS, REPO_PROTOS, grpcError, startGrpcBff, startGrpcServer, type TestGrpcServer } from './grpc-harness';

const KITCHEN = 'portico.kitchen.v1.KitchenService';
const DELIVERY = 'portico.delivery.v1.DeliveryService';

/** A composition handler over gRPC clients: the ticket is required, the courier's position optional. */
function ticketView(grpc: () => BffGrpc): Middleware<EdgeState> {
  return async function ticketView(ctx) {
    const kitchen = grpc().client('kitchen', KITCHEN);
    const delivery = grpc().client('delivery', DELIVERY);
    const deadline = requestDeadline(ctx).child(50);
    const orderId = ctx.state.params?.orderId ?? '';
    ctx.body = await composeParts(async ({ required, optional }) => {
      const [ticket, courier] = await Promise.all([
        required('ticket', () => kitchen.call<{ state: string; readyByUnixMs: string }>('GetTicket', { orderId }, { deadline, ctx })),
        optional('courier', () => delivery.find('GetCourierLocation', { orderId }, { deadline, ctx })),
      ]);
      return { orderId, state: ticket.state, readyByUnixMs: ticket.readyByUnixMs, courier };
    });
  };
}

describe('GrpcClient in a composition handler (kitchen and delivery protos)', function () {
  this.timeout(15_000);
  let kitchen: TestGrpcServer;
  let bff: Awaited<ReturnType<typeof startGrpcBff>>;
  let grpc: BffGrpc | undefined;

  before(async () => {
    kitchen = await startGrpcServer(REPO_PROTOS, 'portico/kitchen/v1/kitchen.proto', KITCHEN, {
      GetTicket: (req) => {
        if (req.orderId === 'missing') throw grpcError(status.NOT_FOUND, 'no ticket');
        return { ticketId: `t-${String(req.orderId)}`, orderId: req.orderId, restaurantId: 'r-1', state: 'READY_FOR_PICKUP', readyByUnixMs: '1767225600000' };
      },
    });
    bff = await startGrpcBff('routes:\n  - { id: ticket-view, method: GET, path: "/views/tickets/:orderId", handler: ticketView, policy: { auth: none, timeout: 1s } }\n', {
      env: { KITCHEN_GRPC_ADDRESS: kitchen.address, DELIVERY_GRPC_ADDRESS: '127.0.0.1:1', GRPC_PROTO_PATH: REPO_PROTOS },
      grpcUpstreams: { kitchen: 'KITCHEN_GRPC_ADDRESS', delivery: 'DELIVERY_GRPC_ADDRESS' },
      handlers: { ticketView: ticketView(() => grpc!) },
    });
    grpc = bff.bff.grpc;
  });
  after(async () => {
    await bff?.close();
    await kitchen?.stop();
  });
  beforeEach(() => (kitchen.seen.length = 0));

  it('calls GetTicket with the request deadline and request id, and marks the unreachable optional part in _errors', async () => {
    const res = await fetch(`${bff.url}/views/tickets/o-1`, { headers: { 'x-request-id': 'req-view-1' } });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({
      orderId: 'o-1',
      state: 'READY_FOR_PICKUP',
      readyByUnixMs: '1767225600000',
      courier: null,
      _errors: [{ part: 'courier', status: 503, title: 'Upstream unavailable' }],
    });
    const seen = kitchen.seen[0]!;
    expect(seen.request).to.deep.equal({ orderId: 'o-1' });
    expect(seen.metadata['x-request-id']).to.equal('req-view-1');
    // The route's 1 s deadline less the 50 ms branch margin.
    expect(seen.deadline - seen.at).to.be.within(700, 1000);
  });

  it('fails the answer with the mapped status when the required part is NOT_FOUND', async () => {
    const res = await fetch(`${bff.url}/views/tickets/missing`);
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { type: string }).type).to.equal(problemType('NOT_FOUND'));
  });

  it('find() resolves null for NOT_FOUND; call() rejects; an unknown service or method is refused', async () => {
    const client = grpc!.client('kitchen', KITCHEN);
    expect(await client.find('GetTicket', { orderId: 'missing' }, { deadline: Deadline.after(1000) })).to.equal(null);
    await client.call('GetTicket', { orderId: 'missing' }, { deadline: Deadline.after(1000) }).then(
      () => expect.fail('resolved'),
      (err: { code?: string }) => expect(err.code).to.equal('NOT_FOUND'),
    );
    expect(() => grpc!.client('kitchen', 'portico.kitchen.v1.Nope')).to.throw('no gRPC service "portico.kitchen.v1.Nope"');
    expect(() => client.method('Nope')).to.throw('has no method "Nope" (known: GetTicket)');
  });
});

describe('grpc: routes refused at start-up', () => {
  const route = (grpc: string) => `routes:\n  - { id: r, method: GET, path: "/t/:orderId", policy: { auth: none }, grpc: ${grpc} }\n`;
  const refusal = async (routes: string, env: Record<string, string>): Promise<string[]> => {
    try {
      const started = await startBff({ routes, env });
      await started.close();
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
    return [];
  };
  const env = { T_GRPC_ADDRESS: '127.0.0.1:9', GRPC_PROTO_PATH: FIXTURE_PROTOS };
  const target = (extra: string) => `{ upstream: "\${T_GRPC_ADDRESS}", service: portico.test.v1.TicketTestService, ${extra} }`;

  it('names an unknown method, an unknown field, a message field fed from the query and an unknown path parameter', async () => {
    expect(await refusal(route(target('method: Nope')), env)).to.include('routes.yaml › r › grpc: service portico.test.v1.TicketTestService has no method "Nope" (known: GetTicket, UpdateTicket)');
    expect((await refusal(route(target("method: GetTicket, request: { orderID: ':orderId' }")), env))[0]).to.match(/request\.orderID: no field "orderID" in portico\.test\.v1\.GetTicketRequest \(fields: orderId, /);
    expect((await refusal(route(target('method: GetTicket, request: { note: query.note }')), env))[0]).to.include('request.note: a message field takes its value from the body');
    expect(await refusal(route(target("method: GetTicket, request: { orderId: ':id' }")), env)).to.include('routes.yaml › r › grpc.request.orderId: parameter "id" is not in the route path');
  });

  it('refuses a literal address, an unset or malformed address variable and a missing proto directory', async () => {
    expect((await refusal(route('{ upstream: "10.0.0.7:9104", service: a.B, method: C }'), env))[0]).to.match(/grpc\.upstream: expected the address from an environment variable/);
    expect(await refusal(route(target('method: GetTicket')), { GRPC_PROTO_PATH: FIXTURE_PROTOS })).to.include('routes.yaml › r › grpc: environment variable T_GRPC_ADDRESS is not set');
    expect(await refusal(route(target('method: GetTicket')), { ...env, T_GRPC_ADDRESS: 'http://kitchen:9104' })).to.include(
      'routes.yaml › r › grpc: T_GRPC_ADDRESS: expected host:port like "kitchen:9104", got "http://kitchen:9104"',
    );
    expect(await refusal(route(target('method: GetTicket')), { T_GRPC_ADDRESS: '127.0.0.1:9' })).to.include('routes.yaml › r › grpc: no .proto files loaded: set GRPC_PROTO_PATH to the directory holding them');
    expect((await refusal(route(target('method: GetTicket')), { ...env, GRPC_PROTO_PATH: '/nonexistent-protos' }))[0]).to.match(/^GRPC_PROTO_PATH: cannot read the proto directory/);
  });
});
