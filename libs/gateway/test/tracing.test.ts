import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '@portico/testing';

// OTLP span kinds and status codes.
const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

interface FixtureOutput {
  statuses: number[];
  received: Array<string | null>;
  grpcReceived: Array<string | null>;
}

function runFixture(endpoint: string): Promise<FixtureOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=portico-source', '--require', 'tsx/cjs', '--require', '@portico/edge/instrument', join(__dirname, 'fixtures', 'traced-bff.ts')],
      { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'traced-bff', OTEL_SDK_DISABLED: '', REDIS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`traced-bff exited with ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as FixtureOutput);
      } catch {
        reject(new Error(`traced-bff printed no result: ${out} ${err}`));
      }
    });
  });
}

describe('a BFF with tracing on (createBff under the instrument entry, OTLP/HTTP to a loopback collector)', function () {
  this.timeout(30_000);
  let collector: OtlpCollector;
  let result: FixtureOutput;
  let spans: CollectedSpan[];
  let servers: CollectedSpan[];

  before(async () => {
    collector = await startOtlpCollector();
    result = await runFixture(collector.url);
    spans = collector.spans();
    servers = spans.filter((s) => s.kind === SERVER);
  });
  after(() => collector.close());
  // The calls of the proxied routes, in request order.
  const proxiedCalls = () => spans.filter((s) => s.kind === CLIENT && s.attributes['rpc.system'] === undefined && !String(s.attributes['portico.operation']).startsWith('compose '));

  it('answers the proxied routes (200, 200, 502 from a refused upstream), the composed one, the gRPC one and the probe', () => {
    expect(result.statuses).to.deep.equal([200, 200, 502, 200, 200, 200]);
  });

  it('makes one SERVER span per routed request, named by method and route template, and none for the probe', () => {
    expect(servers.map((s) => [s.scope, s.name, s.attributes['http.response.status_code']])).to.deep.equal([
      ['@portico/edge', 'GET /orders/:orderId', 200],
      ['@portico/edge', 'GET /orders/:orderId', 200],
      ['@portico/edge', 'GET /tickets/:ticketId', 502],
      ['@portico/edge', 'GET /summaries/:orderId', 200],
      ['@portico/edge', 'GET /grpc-tickets/:orderId', 200],
    ]);
    expect(servers.map((s) => s.status)).to.deep.equal([0, 0, STATUS_ERROR, 0, 0]);
    expect(spans.filter((s) => s.attributes['url.path'] === '/livez')).to.deep.equal([]);
  });

  it('makes exactly one CLIENT span per upstream call, the gateway’s own, as the server span’s child (no second span from instrumentation-undici)', () => {
    const clients = proxiedCalls();
    expect(clients.map((s) => [s.scope, s.name, s.attributes['portico.upstream'], s.attributes['portico.operation']])).to.deep.equal([
      ['@portico/edge', 'GET order', 'order', 'get-order'],
      ['@portico/edge', 'GET order', 'order', 'get-order'],
      ['@portico/edge', 'GET kitchen', 'kitchen', 'get-ticket'],
    ]);
    clients.forEach((client, i) => {
      expect(client.parentSpanId).to.equal(servers[i]?.spanId);
      expect(client.traceId).to.equal(servers[i]?.traceId);
    });
    expect(clients.map((s) => [s.attributes['url.path'], s.attributes['http.response.status_code'], s.status])).to.deep.equal([
      ['/orders/42', 200, 0],
      ['/orders/43', 200, 0],
      ['/tickets/7', undefined, STATUS_ERROR],
    ]);
  });

  it('makes a CLIENT span per composed part as the server span’s child, a part called after another answered included', () => {
    const composed = spans.filter((s) => s.kind === CLIENT && String(s.attributes['portico.operation']).startsWith('compose '));
    expect(composed.map((s) => [s.name, s.attributes['portico.operation'], s.attributes['url.path'], s.parentSpanId, s.traceId])).to.deep.equal([
      ['GET order', 'compose order', '/orders/42', servers[3]?.spanId, servers[3]?.traceId],
      ['GET order', 'compose again', '/orders/42', servers[3]?.spanId, servers[3]?.traceId],
    ]);
  });

  it('makes a CLIENT span for a gRPC route’s call as the server span’s child, and sends its context as traceparent metadata', () => {
    const grpc = spans.filter((s) => s.kind === CLIENT && s.attributes['rpc.system'] === 'grpc');
    expect(grpc.map((s) => [s.name, s.parentSpanId, s.traceId])).to.deep.equal([['portico.test.v1.TicketTestService/GetTicket', servers[4]?.spanId, servers[4]?.traceId]]);
    expect(result.grpcReceived).to.deep.equal([`00-${grpc[0]?.traceId}-${grpc[0]?.spanId}-01`]);
  });

  it('sends the upstream a W3C traceparent carrying the trace id and the CLIENT span id', () => {
    const calls = spans.filter((s) => s.kind === CLIENT && s.attributes['portico.upstream'] === 'order');
    expect(calls).to.have.length(4);
    expect(result.received).to.deep.equal(calls.map((call) => `00-${call.traceId}-${call.spanId}-01`));
  });

  it('continues the trace of a caller that sent a traceparent', () => {
    expect(servers[1]).to.include({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331' });
    expect(servers[0]?.parentSpanId).to.equal(null);
  });
});
