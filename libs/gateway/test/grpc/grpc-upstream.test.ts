import { expect } from 'chai';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ExplicitContextManager, problemType } from '@portico/edge';
import { FIXTURE_PROTOS, eventually, startGrpcBff, startGrpcServer, type TestGrpcServer } from './grpc-harness';

const SERVICE = 'portico.test.v1.TicketTestService';
const ROUTES = `
routes:
  - id: get-ticket
    method: GET
    path: /tickets/:orderId
    policy: { auth: none, retries: 0 }
    grpc: { upstream: "\${TICKETS_GRPC_ADDRESS}", service: ${SERVICE}, method: GetTicket, request: { orderId: ':orderId' } }
  - id: get-ticket-retried
    method: GET
    path: /retried/:orderId
    policy: { auth: none }
    grpc: { upstream: "\${TICKETS_GRPC_ADDRESS}", service: ${SERVICE}, method: GetTicket, request: { orderId: ':orderId' } }
  - id: update-ticket
    method: POST
    path: /tickets/:orderId
    policy: { auth: none }
    grpc: { upstream: "\${TICKETS_GRPC_ADDRESS}", service: ${SERVICE}, method: UpdateTicket, request: { orderId: ':orderId' } }
`;

const ticket = (req: Record<string, unknown>) => ({ ticketId: `t-${String(req.orderId)}`, orderId: req.orderId, state: 'ACCEPTED' });

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null; ms: number }> {
  const started = Date.now();
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
}

describe('GrpcUpstream behind breaker, bulkhead and metrics (createBff)', function () {
  this.timeout(20_000);
  let server: TestGrpcServer;
  let bff: Awaited<ReturnType<typeof startGrpcBff>>;
  let failUnavailable = 0;

  before(async () => {
    server = await startGrpcServer(FIXTURE_PROTOS, 'portico/test/v1/tickets.proto', SERVICE, {
      GetTicket: (req) => {
        if (failUnavailable > 0) {
          failUnavailable--;
          throw Object.assign(new Error('restarting'), { code: 14, details: 'restarting' });
        }
        return ticket(req);
      },
      UpdateTicket: (req) => {
        throw Object.assign(new Error('restarting'), { code: 14, details: `restarting ${String(req.orderId)}` });
      },
    });
    bff = await startGrpcBff(ROUTES, {
      env: { TICKETS_GRPC_ADDRESS: server.address, GRPC_PROTO_PATH: FIXTURE_PROTOS },
      grpcUpstreams: { tickets: { variable: 'TICKETS_GRPC_ADDRESS', policy: { breaker: { minimumCalls: 4, openMs: 600 }, initialReconnectBackoffMs: 50, maxReconnectBackoffMs: 100 } } },
    });
  });
  after(async () => {
    await bff?.close();
    await server?.stop();
  });
  beforeEach(() => {
    server.seen.length = 0;
    failUnavailable = 0;
  });

  it('retries UNAVAILABLE for an idempotent read (GET route, NO_SIDE_EFFECTS method) and never for a write', async () => {
    failUnavailable = 2;
    expect((await call(`${bff.url}/retried/o-1`)).status).to.equal(200);
    expect(server.seen.map((c) => c.method)).to.deep.equal(['GetTicket', 'GetTicket', 'GetTicket']);
    server.seen.length = 0;
    const write = await call(`${bff.url}/tickets/o-2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(write.status).to.equal(503);
    expect(server.seen).to.have.length(1);
  });

  it('answers 503 UPSTREAM_UNAVAILABLE while the backend is down, then 503 CIRCUIT_OPEN without calling it, then recovers', async () => {
    expect((await call(`${bff.url}/tickets/o-3`)).status).to.equal(200);
    await server.stop();
    // Failures open the circuit at ≥ 50% of at least 4 calls (this BFF's policy); until then each answer is UNAVAILABLE.
    const types: unknown[] = [];
    for (let i = 0; i < 10 && !types.includes(problemType('CIRCUIT_OPEN')); i++) {
      const down = await call(`${bff.url}/tickets/o-down-${i}`);
      expect(down.status).to.equal(503);
      expect(JSON.stringify(down.body)).to.not.match(/127\.0\.0\.1|:\d{4,5}\b/);
      types.push(down.body.type);
    }
    expect(types[0]).to.equal(problemType('UPSTREAM_UNAVAILABLE'));
    expect(types[types.length - 1]).to.equal(problemType('CIRCUIT_OPEN'));
    expect(bff.bff.grpc.upstreams.states()).to.deep.equal({ tickets: 'open' });
    // Back up, but the circuit stays open for openMs: answered at once, and the backend never sees the call.
    await server.start();
    server.seen.length = 0;
    const open = await call(`${bff.url}/tickets/o-open`);
    expect(open.status).to.equal(503);
    expect(open.body.type).to.equal(problemType('CIRCUIT_OPEN'));
    expect(open.retryAfter).to.equal('1');
    expect(open.ms).to.be.below(100);
    expect(server.seen).to.have.length(0);
    // After openMs one probe goes through; it succeeds and closes the circuit.
    await eventually(async () => (await call(`${bff.url}/tickets/o-back`)).status === 200, 5000);
    expect(bff.bff.grpc.upstreams.states()).to.deep.equal({ tickets: 'closed' });
  });

  it('records every call in portico_upstream_call_duration_seconds by upstream, route and outcome', async () => {
    const text = await (await fetch(`${bff.url}/metrics`)).text();
    for (const outcome of ['ok', 'unreachable', 'circuit_open']) {
      expect(text).to.match(new RegExp(`portico_upstream_call_duration_seconds_count\\{[^}]*upstream="tickets"[^}]*operation="get-ticket"[^}]*outcome="${outcome}"[^}]*\\} [1-9]`));
    }
  });
});

describe('gRPC metadata: W3C trace context from the client span', function () {
  this.timeout(10_000);
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let server: TestGrpcServer;
  let bff: Awaited<ReturnType<typeof startGrpcBff>>;

  before(async () => {
    // Context manager, W3C propagator and tracer, as instrument.ts sets them up in production; torn down again below
    // so other suites run without tracing.
    provider.register({ contextManager: new ExplicitContextManager() });
    server = await startGrpcServer(FIXTURE_PROTOS, 'portico/test/v1/tickets.proto', SERVICE, { GetTicket: ticket, UpdateTicket: ticket });
    bff = await startGrpcBff(ROUTES, { env: { TICKETS_GRPC_ADDRESS: server.address, GRPC_PROTO_PATH: FIXTURE_PROTOS } });
  });
  after(async () => {
    await bff?.close();
    await server?.stop();
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('sends traceparent naming the CLIENT span of the call, and x-request-id', async () => {
    expect((await call(`${bff.url}/tickets/o-9`, { headers: { 'x-request-id': 'req-trace-1' } })).status).to.equal(200);
    const metadata = server.seen[0]?.metadata ?? {};
    expect(metadata['x-request-id']).to.equal('req-trace-1');
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(metadata.traceparent ?? '');
    expect(m, `traceparent ${metadata.traceparent}`).to.not.equal(null);
    const span = exporter.getFinishedSpans().find((s) => s.name === `${SERVICE}/GetTicket`);
    expect(span?.spanContext()).to.include({ traceId: m![1], spanId: m![2] });
    expect(span?.attributes).to.include({ 'rpc.system': 'grpc', 'rpc.method': 'GetTicket', 'portico.upstream': 'tickets' });
  });
});
