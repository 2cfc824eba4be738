import { expect } from 'chai';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startOtlpSink, type OtlpSink } from '../../bench/lib/otlp-sink';

describe('bench OTLP sink: counts the spans the SDK exports to it', () => {
  let sink: OtlpSink;
  before(async () => {
    sink = await startOtlpSink();
  });
  after(() => sink.close());

  it('counts every span of every scope, attributes and events skipped, in one export', async () => {
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sink.url}/v1/traces` }))] });
    const edge = provider.getTracer('edge');
    const gateway = provider.getTracer('gateway');
    const server = edge.startSpan('GET /orders/:orderId', { attributes: { 'http.route': '/orders/:orderId', 'http.response.status_code': 200 } });
    server.addEvent('retry', { attempt: 2 });
    server.end();
    gateway.startSpan('GET order', { attributes: { 'server.port': 9003 } }).end();
    edge.startSpan('EVALSHA').end();
    await provider.forceFlush();
    await provider.shutdown();
    expect(sink.spans()).to.equal(3);
    // One batch: both scopes in one request.
    expect(sink.exports()).to.equal(1);
  });
});
