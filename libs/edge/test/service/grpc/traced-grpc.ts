/**
 * Fixture run in a child process by grpc-spans.test.ts: serveGrpc with tracing started (in-memory exporter). Calls Say
 * with a caller's traceparent, Say without one, and Fail (a handler fault); Say makes a client span of its own at once
 * and another after an await, given the call's trace context. Prints
 * one JSON line with the finished spans and the rpc log lines, then exits.
 */
// Must stay the first import: it starts the SDK before grpc-js loads.
import { exporter } from '../../telemetry/fixtures/memory-telemetry';
import { credentials, Metadata } from '@grpc/grpc-js';
import { callTraceContext, serveGrpc } from '../../../src/service/grpc';
import { createLogger } from '../../../src/logging';
import { createMetrics } from '../../../src/metrics';
import { shutdownTelemetry, withClientSpan } from '../../../src/telemetry';
import { ECHO, ECHO_NAME, EchoClient, call, logSink } from './echo-service';
import { spanJson } from '../../telemetry/fixtures/span-json';

/** The caller's span, as a gateway would send it. */
const CALLER = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

async function main(): Promise<void> {
  const sink = logSink();
  const serving = await serveGrpc({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ serviceName: 'traced-grpc', level: 'info' }, sink.stream),
    metrics: createMetrics({ serviceName: 'traced-grpc', defaultMetrics: false }),
    services: [
      {
        name: ECHO_NAME,
        definition: ECHO,
        handlers: {
          Say: (c, cb) =>
            void withClientSpan('store lookup', {}, async () => undefined)
              .then(() => withClientSpan('store write', {}, async () => undefined, callTraceContext(c)))
              .then(() => cb(null, { said: (c.request as { text: string }).text })),
          Fail: (_c, cb) => cb(new Error('disk on fire')),
        },
      },
    ],
  });
  const client = new EchoClient(`127.0.0.1:${serving.port}`, credentials.createInsecure());
  const traced = new Metadata();
  traced.set('traceparent', `00-${CALLER.traceId}-${CALLER.spanId}-01`);
  traced.set('x-request-id', 'req-traced');
  const codes = [
    (await call(client, 'Say', { text: 'a' }, traced)).err?.code ?? 0,
    (await call(client, 'Say', { text: 'b' }, new Metadata())).err?.code ?? 0,
    (await call(client, 'Fail', {}, new Metadata())).err?.code ?? 0,
  ];
  client.close();
  await serving.close(1000);
  const spans = exporter.getFinishedSpans().map(spanJson);
  // After reading: shutting the exporter down empties it.
  await shutdownTelemetry();
  process.stdout.write(`${JSON.stringify({ codes, spans, logs: sink.lines.filter((l) => l.msg === 'rpc') })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
