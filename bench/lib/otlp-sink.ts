/** A stand-in OTLP/HTTP collector for suites that export spans: accepts every export on loopback and counts them. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running sink: its base URL (OTEL_EXPORTER_OTLP_ENDPOINT), the exports received so far, and close(). */
export interface OtlpSink {
  url: string;
  exports(): number;
  close(): void;
}

/** Starts a sink on 127.0.0.1 that answers every export 200 (an empty response in its encoding) once its body has arrived. */
export async function startOtlpSink(): Promise<OtlpSink> {
  let count = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      // An empty ExportTraceServiceResponse in the request's encoding (protobuf is the exporters' default).
      if (req.headers['content-type']?.startsWith('application/x-protobuf')) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, exports: () => count, close: () => sink.close() };
}
