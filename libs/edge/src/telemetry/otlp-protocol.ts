/** The OTLP/HTTP encodings Portico exports spans in; apart from sdk.ts so config/ and instrument.ts need not load the SDK. */

/** `http/protobuf` is the OpenTelemetry default (OTEL_EXPORTER_OTLP_PROTOCOL); `http/json` for collectors that want JSON. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The traces protocol the OTEL_* variables name (the traces-specific one wins, a blank one is unset), or undefined when they name none. */
export function otlpProtocolIn<P extends string>(env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: P; OTEL_EXPORTER_OTLP_PROTOCOL?: P }): P | undefined {
  return nonBlank(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonBlank(env.OTEL_EXPORTER_OTLP_PROTOCOL);
}

function nonBlank<P extends string>(value: P | undefined): P | undefined {
  const trimmed = value?.trim();
  return trimmed ? (trimmed as P) : undefined;
}

export function isOtlpProtocol(value: string): value is OtlpProtocol {
  return (OTLP_PROTOCOLS as readonly string[]).includes(value);
}
