/** The OTLP/HTTP encodings Portico exports spans in; apart from sdk.ts so config/ and instrument.ts need not load the SDK. */

/** `http/protobuf` is the OpenTelemetry default (OTEL_EXPORTER_OTLP_PROTOCOL); `http/json` for collectors that want JSON. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The traces protocol the OTEL_* variables name (the traces-specific one wins), or undefined when they name none. */
export function otlpProtocolIn(env: NodeJS.ProcessEnv): string | undefined {
  return env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || undefined;
}

export function isOtlpProtocol(value: string): value is OtlpProtocol {
  return (OTLP_PROTOCOLS as readonly string[]).includes(value);
}
