/** A stand-in OTLP/HTTP collector for suites that export spans: accepts every export on loopback and counts exports and spans. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running sink: its base URL (OTEL_EXPORTER_OTLP_ENDPOINT), the exports and spans received so far, and close(). */
export interface OtlpSink {
  url: string;
  exports(): number;
  /** Spans in the protobuf exports received (JSON exports are not counted). */
  spans(): number;
  close(): void;
}

/** Starts a sink on 127.0.0.1 that answers every export 200 (an empty response in its encoding) once its body has arrived. */
export async function startOtlpSink(): Promise<OtlpSink> {
  let exports = 0;
  let spans = 0;
  const sink = createServer((req, res) => {
    const protobuf = req.headers['content-type']?.startsWith('application/x-protobuf') === true;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      if (protobuf) chunks.push(chunk);
    });
    req.on('end', () => {
      exports += 1;
      // An empty ExportTraceServiceResponse in the request's encoding (protobuf is the exporters' default).
      if (protobuf) {
        spans += countSpans(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, exports: () => exports, spans: () => spans, close: () => sink.close() };
}

/**
 * The spans in an OTLP ExportTraceServiceRequest, read without decoding them: resource_spans (field 1) → scope_spans
 * (field 2) → spans (field 2), every other field skipped by its wire type.
 */
export function countSpans(message: Buffer): number {
  let count = 0;
  for (const resourceSpans of fields(message, 0, message.length, 1))
    for (const scopeSpans of fields(message, resourceSpans.start, resourceSpans.end, 2)) count += [...fields(message, scopeSpans.start, scopeSpans.end, 2)].length;
  return count;
}

/** The length-delimited fields numbered `field` between `start` and `end` of `buf`. */
function* fields(buf: Buffer, start: number, end: number, field: number): Generator<{ start: number; end: number }> {
  let pos = start;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= end) throw new Error('otlp-sink: truncated varint');
      const byte = buf[pos++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (pos < end) {
    const tag = varint();
    const wireType = tag % 8;
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      if (Math.floor(tag / 8) === field) yield { start: pos, end: pos + length };
      pos += length;
    } else throw new Error(`otlp-sink: unsupported wire type ${wireType}`);
  }
}
