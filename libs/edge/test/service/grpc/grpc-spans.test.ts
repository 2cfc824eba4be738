import { expect } from 'chai';
import { join } from 'node:path';
import { runFixture } from '../../telemetry/fixtures/run-fixture';
import type { SpanJson } from '../../telemetry/fixtures/span-json';

const SERVER = 1;
const CLIENT = 2;
const STATUS_ERROR = 2;
const CALLER = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

interface FixtureOutput {
  codes: number[];
  spans: SpanJson[];
  logs: Array<Record<string, unknown>>;
}

describe('serveGrpc with tracing started (child process, in-memory exporter)', function () {
  this.timeout(30_000);
  let result: FixtureOutput;
  let servers: SpanJson[];

  before(async () => {
    result = await runFixture<FixtureOutput>(join(__dirname, 'traced-grpc.ts'));
    servers = result.spans.filter((s) => s.kind === SERVER);
  });

  it('answers every call: two OK, one INTERNAL', () => {
    expect(result.codes).to.deep.equal([0, 0, 13]);
  });

  it('makes one SERVER span per call, named service/method, with the rpc attributes and status code', () => {
    expect(servers.map((s) => s.name)).to.deep.equal(['test.v1.Echo/Say', 'test.v1.Echo/Say', 'test.v1.Echo/Fail']);
    expect(servers[0]!.attributes).to.include({
      'rpc.system': 'grpc',
      'rpc.service': 'test.v1.Echo',
      'rpc.method': 'Say',
      'rpc.grpc.status_code': 0,
      'portico.request.id': 'req-traced',
    });
    expect(servers[2]!.attributes).to.include({ 'rpc.grpc.status_code': 13 });
    expect(servers.map((s) => s.status)).to.deep.equal([0, 0, STATUS_ERROR]);
  });

  it('continues the caller’s trace from traceparent metadata, and starts a new one without it', () => {
    expect(servers[0]).to.include({ traceId: CALLER.traceId, parentSpanId: CALLER.spanId });
    expect(servers[1]!.traceId).to.not.equal(CALLER.traceId);
    expect(servers[1]!.parentSpanId).to.equal(null);
  });

  it('makes the server span active inside the handler, so its own calls are children', () => {
    const lookups = result.spans.filter((s) => s.kind === CLIENT && s.name === 'store lookup');
    expect(lookups).to.have.length(2);
    expect(lookups.map((s) => s.parentSpanId)).to.deep.equal([servers[0]!.spanId, servers[1]!.spanId]);
    expect(lookups[0]!.traceId).to.equal(CALLER.traceId);
  });

  it('gives the handler the call’s trace context (callTraceContext), so a call made after an await is a child too', () => {
    const writes = result.spans.filter((s) => s.kind === CLIENT && s.name === 'store write');
    expect(writes.map((s) => [s.parentSpanId, s.traceId])).to.deep.equal([
      [servers[0]!.spanId, CALLER.traceId],
      [servers[1]!.spanId, servers[1]!.traceId],
    ]);
  });

  it('puts the trace id on each call’s log line', () => {
    expect(result.logs.map((l) => l.traceId)).to.deep.equal(servers.map((s) => s.traceId));
    expect(result.logs[0]).to.include({ requestId: 'req-traced', grpcCode: 'OK' });
  });
});
