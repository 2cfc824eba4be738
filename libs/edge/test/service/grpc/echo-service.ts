/** Test fixture: a gRPC service built by hand (JSON messages, no .proto), its client, and a log sink. */
import { makeGenericClientConstructor, type Client, type ServiceDefinition, type ServiceError, type Metadata } from '@grpc/grpc-js';
import { Writable } from 'node:stream';

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
};
const unary = (name: string) => ({
  path: `/test.v1.Echo/${name}`,
  requestStream: false,
  responseStream: false,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});

/** test.v1.Echo: Say answers its request; Fail is whatever a test makes it. */
export const ECHO: ServiceDefinition = { Say: unary('Say'), Fail: unary('Fail') };
export const ECHO_NAME = 'test.v1.Echo';

type Call = (request: object, metadata: Metadata, callback: (err: ServiceError | null, value?: Record<string, unknown>) => void) => void;
/** A client of test.v1.Echo. */
export type EchoClient = Client & { Say: Call; Fail: Call };
export const EchoClient = makeGenericClientConstructor(ECHO, 'Echo') as unknown as new (address: string, creds: unknown) => EchoClient;

/** What a call came back with: the error or the answer, and the response headers (initial metadata) if any arrived. */
export interface CallResult {
  err: ServiceError | null;
  value?: Record<string, unknown>;
  headers?: Metadata;
}

/** Calls `method` and settles with the error or the answer. */
export function call(client: EchoClient, method: 'Say' | 'Fail', request: object, metadata: Metadata): Promise<CallResult> {
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    const pending = client[method](request, metadata, (err, value) => resolve({ err, value, headers })) as unknown as NodeJS.EventEmitter;
    pending.on('metadata', (received: Metadata) => (headers = received));
  });
}

/** A pino destination keeping every line, parsed. */
export function logSink(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}
