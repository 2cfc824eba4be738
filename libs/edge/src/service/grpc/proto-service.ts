/** Loading a service's definition from the repository's .proto files, with the JSON convention the whole fleet uses. */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** camelCase fields, enums by name, int64 as decimal strings, defaults filled in: what the gateway's gRPC client expects too. */
export const PROTO_JSON_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  oneofs: true,
  json: true,
});

/** The definition of `service` (its full name) from `file` under `includeDir`; throws when the file does not define it. */
export function loadProtoService(file: string, service: string, includeDir: string): ServiceDefinition {
  const definition = loadSync(file, { ...PROTO_JSON_OPTIONS, includeDirs: [includeDir] })[service];
  if (!definition || 'format' in definition || !Object.values(definition).every((m) => typeof m === 'object' && m !== null && 'path' in m)) {
    throw new Error(`${file} defines no service ${service}`);
  }
  return definition as ServiceDefinition;
}
