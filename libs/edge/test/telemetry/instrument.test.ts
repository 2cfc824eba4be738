import { expect } from 'chai';
import { join } from 'node:path';
// The test kit's collector imports nothing of Portico's, so edge's tests may use it without depending on the kit.
import { startOtlpCollector, type OtlpCollector } from '../../../testing/src/otlp-collector';
import { runFixture } from './fixtures/run-fixture';

const SERVER = 2; // OTLP's SPAN_KIND_SERVER

function runMain(env: NodeJS.ProcessEnv): Promise<{ status: number; started: boolean; recording: boolean; contextOutlivesAwait: boolean }> {
  const instrument = join(__dirname, '..', '..', 'src', 'telemetry', 'instrument.ts');
  return runFixture(join(__dirname, 'fixtures', 'instrumented-main.ts'), { env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: '', TRACE_CONTEXT: '', ...env }, preload: [instrument] });
}

describe('telemetry/instrument entry point (child process)', function () {
  this.timeout(30_000);
  let collector: OtlpCollector;

  before(async () => (collector = await startOtlpCollector()));
  after(() => collector.close());
  beforeEach(() => (collector.exports.length = 0));

  for (const [protocol, contentType] of [
    [undefined, 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ] as const) {
    it(`exports spans over OTLP/HTTP (${protocol ?? 'protobuf by default'}) to OTEL_EXPORTER_OTLP_ENDPOINT and flushes them on shutdownTelemetry()`, async () => {
      const result = await runMain({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'mobile-bff', OTEL_EXPORTER_OTLP_PROTOCOL: protocol ?? '' });
      expect(result).to.deep.equal({ status: 200, started: true, recording: true, contextOutlivesAwait: false });
      expect(collector.exports.map((e) => [e.path, e.contentType.split(';')[0]])).to.deep.equal([['/v1/traces', contentType]]);
      const server = collector.spans().filter((s) => s.kind === SERVER);
      expect(server.map((s) => [s.service, s.name, s.attributes['http.route']])).to.deep.equal([['mobile-bff', 'GET /orders/:orderId', '/orders/:orderId']]);
      expect(server[0]?.traceId).to.match(/^[0-9a-f]{32}$/);
    });
  }

  it('exports nothing, and still serves, when OTEL_EXPORTER_OTLP_PROTOCOL names an encoding it does not speak', async () => {
    const result = await runMain({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(result).to.deep.equal({ status: 200, started: false, recording: false, contextOutlivesAwait: false });
    expect(collector.exports).to.deep.equal([]);
  });

  it('keeps the active context across awaits under TRACE_CONTEXT=async-local-storage, and only there', async () => {
    const result = await runMain({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, TRACE_CONTEXT: 'async-local-storage' });
    expect(result).to.deep.equal({ status: 200, started: true, recording: true, contextOutlivesAwait: true });
    expect(collector.exports).to.have.length(1);
  });

  it('exports nothing, and still serves, when TRACE_CONTEXT names a mode it does not know', async () => {
    const result = await runMain({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, TRACE_CONTEXT: 'implicit' });
    expect(result).to.deep.equal({ status: 200, started: false, recording: false, contextOutlivesAwait: false });
    expect(collector.exports).to.deep.equal([]);
  });

  it('starts nothing (no span recorded, none exported) and still serves when no endpoint is set', async () => {
    const result = await runMain({});
    expect(result).to.deep.equal({ status: 200, started: false, recording: false, contextOutlivesAwait: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(collector.exports).to.deep.equal([]);
  });
});
