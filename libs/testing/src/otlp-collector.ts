/**
 * A stand-in OTLP/HTTP trace collector on loopback: accepts exports at `/v1/traces` in either OTLP encoding
 * (`application/x-protobuf`, the default of Portico and of the OpenTelemetry SDKs, or `application/json`), decodes both
 * into the OTLP/JSON shape and keeps them, so a test can assert the spans a BFF exported whatever protocol it used.
 * Imports nothing of Portico's, so every package's tests may use it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

/** An attribute value as OTLP/JSON writes it (64-bit integers as strings). */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

/** One span, ids as lower-case hex as in OTLP/JSON. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: OtlpKeyValue[];
  /** code: 0 unset, 1 ok, 2 error. */
  status?: { code?: number; message?: string };
}

/** One export request (ExportTraceServiceRequest) in the OTLP/JSON shape. */
export interface OtlpTraceRequest {
  resourceSpans: Array<{
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: Array<{ scope: { name: string; version?: string }; spans: OtlpSpan[] }>;
  }>;
}

/** One export as received. */
export interface OtlpExport {
  path: string;
  contentType: string;
  body: OtlpTraceRequest;
}

/** A span with its scope and attributes flattened, for assertions. */
export interface CollectedSpan {
  name: string;
  kind: number;
  scope: string;
  service: string | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  status: number;
  attributes: Record<string, string | number | boolean | undefined>;
}

export interface OtlpCollector {
  /** The base URL to use as OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Every export received, in arrival order. */
  exports: OtlpExport[];
  /** Every span of every export, flattened. */
  spans(): CollectedSpan[];
  close(): Promise<void>;
}

// The part of opentelemetry-proto's trace export that tests read (field numbers as upstream; unknown fields are skipped).
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message InstrumentationScope { string name = 1; string version = 2; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; }
}
message ArrayValue { repeated AnyValue values = 1; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  repeated KeyValue attributes = 9; Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
`;

const ExportRequest = protobuf.parse(OTLP_TRACE_PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

/** Decodes a binary ExportTraceServiceRequest into the OTLP/JSON shape (hex ids, int64 as strings). */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpTraceRequest {
  const decoded = ExportRequest.toObject(ExportRequest.decode(body), { longs: String, bytes: String, defaults: true, arrays: true, oneofs: false });
  const hex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');
  for (const resource of decoded.resourceSpans as OtlpTraceRequest['resourceSpans']) {
    for (const scope of resource.scopeSpans) {
      for (const span of scope.spans) {
        span.traceId = hex(span.traceId);
        span.spanId = hex(span.spanId);
        span.parentSpanId = hex(span.parentSpanId ?? '');
      }
    }
  }
  return decoded as OtlpTraceRequest;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function attributeValue(value: OtlpAnyValue): string | number | boolean | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue;
}

/** Flattens exports into spans: scope name, service.name, attributes as a record, parent null for a root. */
export function flattenOtlpSpans(exports: readonly OtlpExport[]): CollectedSpan[] {
  return exports.flatMap((e) =>
    e.body.resourceSpans.flatMap((r) => {
      const service = r.resource?.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
      return r.scopeSpans.flatMap((s) =>
        s.spans.map((span) => ({
          name: span.name,
          kind: span.kind,
          scope: s.scope.name,
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId || null,
          status: span.status?.code ?? 0,
          attributes: Object.fromEntries(span.attributes.map((a) => [a.key, attributeValue(a.value)])),
        })),
      );
    }),
  );
}

/** Starts a collector on 127.0.0.1; a body it cannot decode is answered 400 and kept out of `exports`. */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const exports: OtlpExport[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const contentType = req.headers['content-type'] ?? '';
      const protobufBody = contentType.startsWith('application/x-protobuf');
      try {
        const body = protobufBody ? decodeOtlpProtobuf(raw) : (JSON.parse(raw.toString('utf8')) as OtlpTraceRequest);
        exports.push({ path: req.url ?? '', contentType, body });
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('undecodable export');
        return;
      }
      // An empty ExportTraceServiceResponse in the request's encoding.
      if (protobufBody) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    spans: () => flattenOtlpSpans(exports),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
