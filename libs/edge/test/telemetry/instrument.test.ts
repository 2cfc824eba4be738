import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runFixture } from './fixtures/run-fixture';

interface OtlpSpan {
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
}
interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }>;
  }>;
}

function runMain(env: NodeJS.ProcessEnv): Promise<{ status: number; started: boolean; recording: boolean }> {
  const instrument = join(__dirname, '..', '..', 'src', 'telemetry', 'instrument.ts');
  return runFixture(join(__dirname, 'fixtures', 'instrumented-main.ts'), { env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: '', ...env }, preload: [instrument] });
}

describe('telemetry/instrument entry point (child process)', function () {
  this.timeout(30_000);
  let collector: Server;
  let endpoint: string;
  const exports: Array<{ path: string; contentType: string | undefined; body: OtlpExport }> = [];

  before(async () => {
    // A stand-in OTLP/HTTP collector on loopback.
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        exports.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(body) as OtlpExport });
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  after(() => collector.close());
  beforeEach(() => (exports.length = 0));

  it('exports spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT and flushes them on shutdownTelemetry()', async () => {
    const result = await runMain({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'mobile-bff' });
    expect(result).to.deep.equal({ status: 200, started: true, recording: true });
    expect(exports.map((e) => e.path)).to.deep.equal(['/v1/traces']);
    expect(exports[0]?.contentType).to.match(/^application\/json/);
    const resourceSpans = exports[0]!.body.resourceSpans;
    const serviceName = resourceSpans[0]?.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
    expect(serviceName).to.equal('mobile-bff');
    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const server = spans.filter((s) => s.kind === 2); // OTLP's SPAN_KIND_SERVER
    expect(server.map((s) => s.name)).to.deep.equal(['GET /orders/:orderId']);
    expect(server[0]?.attributes.find((a) => a.key === 'http.route')?.value.stringValue).to.equal('/orders/:orderId');
  });

  it('starts nothing (no span recorded, none exported) and still serves when no endpoint is set', async () => {
    const result = await runMain({});
    expect(result).to.deep.equal({ status: 200, started: false, recording: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(exports).to.deep.equal([]);
  });
});
