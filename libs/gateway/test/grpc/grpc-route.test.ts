import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { problemType, type ErrorCode } from '@portico/edge';
import { startBff, type StartedBff } from '@portico/testing';
import { FIXTURE_PROTOS, grpcError, startGrpcServer, type TestGrpcServer } from './grpc-harness';

const SERVICE = 'portico.test.v1.TicketTestService';
const BEYOND_2_53 = '9007199254740993'; // 2^53 + 1: a double would round it to ...992
const UINT64_MAX = '18446744073709551615';
const LEAK = /10\.0\.0\.7|db\.internal|:5432|127\.0\.0\.1|stack/;

const ROUTES = `
routes:
  - id: get-ticket
    method: GET
    path: /tickets/:orderId
    policy: { auth: none, timeout: 2s }
    grpc:
      upstream: \${TICKETS_GRPC_ADDRESS}
      service: ${SERVICE}
      method: GetTicket
      request: { orderId: ':orderId', sinceUnixMs: query.since, verbose: query.verbose, state: query.state, tags: query.tag, note.priority: query.priority }
  - id: slow-ticket
    method: GET
    path: /slow/:orderId
    policy: { auth: none, timeout: 300ms, retries: 0 }
    grpc: { upstream: "\${TICKETS_GRPC_ADDRESS}", service: ${SERVICE}, method: GetTicket, request: { orderId: ':orderId' } }
  - id: update-ticket
    method: POST
    path: /tickets/:orderId
    policy: { auth: none }
    grpc:
      upstream: \${TICKETS_GRPC_ADDRESS}
      service: ${SERVICE}
      method: UpdateTicket
      request: { '*': body, orderId: ':orderId', note.text: body.comment }
`;

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('grpc: route terminal (REST → gRPC through startBff)', function () {
  this.timeout(15_000);
  let server: TestGrpcServer;
  let bff: StartedBff;
  let slowMs = 0;

  before(async () => {
    server = await startGrpcServer(FIXTURE_PROTOS, 'portico/test/v1/tickets.proto', SERVICE, {
      GetTicket: async (req) => {
        const id = String(req.orderId);
        const code = /^status-(\d+)$/.exec(id)?.[1];
        if (code) throw grpcError(Number(code), `backend said no: Error at Db.query (10.0.0.7:5432 db.internal) stack`);
        if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
        return { ticketId: `t-${id}`, orderId: id, state: 'PREPARING', readyByUnixMs: BEYOND_2_53, lineItems: [{ name: 'Soup', quantity: 2 }], version: UINT64_MAX };
      },
      UpdateTicket: (req) => ({ ticketId: `t-${String(req.orderId)}`, orderId: req.orderId, note: req.note, lineItems: req.lineItems, version: req.version }),
    });
    bff = await startBff({ routes: ROUTES, env: { TICKETS_GRPC_ADDRESS: server.address, GRPC_PROTO_PATH: FIXTURE_PROTOS } });
  });
  after(async () => {
    await bff?.close();
    await server?.stop();
  });
  beforeEach(() => {
    server.seen.length = 0;
    slowMs = 0;
  });

  it('maps path, query (int64, bool, enum, repeated, nested) into the request and answers the response as camelCase JSON', async () => {
    const res = await get(`${bff.url}/tickets/o-1?since=${BEYOND_2_53}&verbose=true&state=ACCEPTED&tag=a&tag=b&priority=3`);
    expect(res.status).to.equal(200);
    expect(res.type).to.match(/^application\/json/);
    expect(server.seen[0]?.request).to.deep.include({ orderId: 'o-1', sinceUnixMs: BEYOND_2_53, verbose: true, state: 'ACCEPTED', tags: ['a', 'b'] });
    expect(server.seen[0]?.request.note).to.deep.equal({ text: '', priority: 3 });
    // Enums by name, int64/uint64 as decimal strings with every digit, defaults filled in, unset messages null.
    expect(res.body).to.deep.equal({
      ticketId: 't-o-1',
      orderId: 'o-1',
      state: 'PREPARING',
      readyByUnixMs: BEYOND_2_53,
      lineItems: [{ name: 'Soup', quantity: 2 }],
      note: null,
      version: UINT64_MAX,
    });
  });

  it('leaves unmapped and absent fields at their defaults', async () => {
    const res = await get(`${bff.url}/tickets/o-2`);
    expect(res.status).to.equal(200);
    expect(server.seen[0]?.request).to.deep.include({ orderId: 'o-2', sinceUnixMs: '0', verbose: false, state: 'TICKET_STATE_UNSPECIFIED', tags: [] });
  });

  it('maps the whole JSON body ("*": body) plus path and renamed body fields, keeping uint64 exact', async () => {
    const res = await post(`${bff.url}/tickets/o-3`, { lineItems: [{ name: 'Tea', quantity: 1 }], version: UINT64_MAX, comment: 'no sugar', note: { priority: 2 } });
    expect(res.status).to.equal(200);
    expect(server.seen[0]?.request).to.deep.equal({ orderId: 'o-3', note: { text: 'no sugar', priority: 2 }, lineItems: [{ name: 'Tea', quantity: 1 }], version: UINT64_MAX });
    expect(res.body).to.include({ orderId: 'o-3', version: UINT64_MAX });
  });

  it('refuses query values that do not fit the field with 400 INVALID_QUERY, before calling the backend', async () => {
    for (const query of ['since=abc', 'since=9223372036854775808', 'verbose=yes', 'state=COOKING', 'since=1&since=2', 'priority=2147483648']) {
      const res = await get(`${bff.url}/tickets/o-4?${query}`);
      expect(res.status, query).to.equal(400);
      expect(res.body.type).to.equal(problemType('INVALID_QUERY'));
      expect(String(res.body.detail)).to.match(/^query parameter /);
    }
    expect(server.seen).to.have.length(0);
  });

  it('refuses body members that do not fit the message with 422 listing each field', async () => {
    // Sent as text: a JSON number past 2^53 is what a careless client sends, and what must be refused.
    const res = await post(`${bff.url}/tickets/o-5`, `{ "version": ${BEYOND_2_53}, "lineItems": [{ "name": "Tea", "quantity": "one" }], "colour": "red" }`);
    expect(res.status).to.equal(422);
    expect(res.body.type).to.equal(problemType('VALIDATION_FAILED'));
    const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field);
    expect(fields).to.have.members(['body.version', 'body.lineItems.0.quantity', 'body.colour']);
    expect(server.seen).to.have.length(0);
  });

  describe('status mapping (standard gRPC → HTTP table, problem+json, nothing internal)', () => {
    const rows: Array<[status, number, ErrorCode, boolean]> = [
      [status.CANCELLED, 499, 'CLIENT_CLOSED_REQUEST', false],
      [status.UNKNOWN, 500, 'UPSTREAM_INTERNAL', false],
      [status.INVALID_ARGUMENT, 400, 'BAD_REQUEST', true],
      [status.DEADLINE_EXCEEDED, 504, 'DEADLINE_EXCEEDED', false],
      [status.NOT_FOUND, 404, 'NOT_FOUND', false],
      [status.ALREADY_EXISTS, 409, 'CONFLICT', true],
      [status.PERMISSION_DENIED, 403, 'FORBIDDEN', false],
      [status.RESOURCE_EXHAUSTED, 429, 'RATE_LIMITED', false],
      [status.FAILED_PRECONDITION, 400, 'BAD_REQUEST', true],
      [status.ABORTED, 409, 'CONFLICT', true],
      [status.OUT_OF_RANGE, 400, 'BAD_REQUEST', true],
      [status.UNIMPLEMENTED, 501, 'NOT_IMPLEMENTED', false],
      [status.INTERNAL, 500, 'UPSTREAM_INTERNAL', false],
      [status.UNAVAILABLE, 503, 'UPSTREAM_UNAVAILABLE', false],
      [status.DATA_LOSS, 500, 'UPSTREAM_INTERNAL', false],
      [status.UNAUTHENTICATED, 401, 'UNAUTHENTICATED', false],
    ];
    for (const [code, httpStatus, edgeCode, forwards] of rows) {
      it(`${status[code]} → ${httpStatus} ${edgeCode}`, async () => {
        const res = await get(`${bff.url}/tickets/status-${code}`, { 'x-request-id': `req-status-${code}` });
        expect(res.status).to.equal(httpStatus);
        expect(res.type).to.match(/^application\/problem\+json/);
        expect(res.body).to.include({ type: problemType(edgeCode), status: httpStatus, requestId: `req-status-${code}` });
        expect(String(res.body.detail)).to.match(/^tickets service: /);
        // Only input-describing statuses forward the backend's message, and even then it is text, never a host of ours.
        if (forwards) expect(String(res.body.detail)).to.include('backend said no');
        else expect(JSON.stringify(res.body)).to.not.match(LEAK);
        if (code === status.RESOURCE_EXHAUSTED) expect(res.headers.get('retry-after')).to.equal('1');
      });
    }
  });

  it('sends the remaining route deadline as the gRPC deadline', async () => {
    const sent = Date.now();
    expect((await get(`${bff.url}/tickets/o-6`)).status).to.equal(200);
    const deadline = server.seen[0]?.deadline ?? 0;
    // policy.timeout is 2 s: the backend sees (almost) all of it, never more.
    expect(deadline - sent).to.be.within(1500, 2100);
  });

  it('answers 504 DEADLINE_EXCEEDED within the route timeout when the backend is slower', async () => {
    slowMs = 2000;
    const started = Date.now();
    const res = await get(`${bff.url}/slow/o-7`);
    expect(res.status).to.equal(504);
    expect(res.body.type).to.equal(problemType('DEADLINE_EXCEEDED'));
    expect(Date.now() - started).to.be.below(1000);
    expect(server.seen[0]!.deadline - server.seen[0]!.at).to.be.at.most(300);
  });

  it('passes the request id as x-request-id metadata', async () => {
    await get(`${bff.url}/tickets/o-8`, { 'x-request-id': 'req-grpc-metadata-1' });
    expect(server.seen[0]?.metadata['x-request-id']).to.equal('req-grpc-metadata-1');
  });
});
