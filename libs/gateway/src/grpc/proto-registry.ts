/**
 * Loads the .proto files under one directory once, at start-up, with the options that define Portico's JSON
 * convention for gRPC messages, and hands out services and methods by name. Calling them is grpc-upstream.ts's job.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fromJSON, type MethodDefinition, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { Root, type Type } from 'protobufjs';
import { PROTO_JSON_OPTIONS } from '@portico/edge/grpc';

/**
 * The JSON convention of every gRPC message Portico reads or writes (proto/README.md): field names in lowerCamelCase
 * (`order_id` → `orderId`), enums as their names, 64-bit integers as decimal strings (no precision lost past 2^53),
 * bytes as base64, defaults filled in (zero scalars, `[]`, unset messages as `null`), and for a oneof a field naming
 * the member that is set; NaN and ±Infinity in float fields as strings, since JSON has no literal for them. Backends
 * serve their protos with the same options (@portico/edge/grpc).
 */
export const PROTO_LOADER_OPTIONS: Readonly<Options> = PROTO_JSON_OPTIONS;

/** One unary gRPC method, ready to call: its wire path, codecs and what its proto declares about side effects. */
export interface GrpcMethod {
  /** `portico.kitchen.v1.KitchenService`. */
  readonly service: string;
  /** `GetTicket`. */
  readonly name: string;
  /** `/portico.kitchen.v1.KitchenService/GetTicket`. */
  readonly path: string;
  /** The request message type, for checking what a route maps into it (message-shape.ts). */
  readonly requestType: Type;
  /** True when the proto declares `idempotency_level` NO_SIDE_EFFECTS or IDEMPOTENT; only such calls are retried. */
  readonly idempotent: boolean;
  /** Plain object (PROTO_LOADER_OPTIONS convention) → wire bytes; throws on a value that does not fit the type. */
  encode(request: object): Buffer;
  /** Wire bytes → plain object (PROTO_LOADER_OPTIONS convention); throws on malformed bytes. */
  decode(bytes: Buffer): unknown;
}

function protoFiles(root: string, dir = root): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...protoFiles(root, path));
    else if (entry.endsWith('.proto')) found.push(relative(root, path));
  }
  return found;
}

function isService(value: unknown): value is Record<string, MethodDefinition<object, object>> {
  return typeof value === 'object' && value !== null && !('format' in value);
}

/** Every service and message type of the .proto files under one root directory. */
export class ProtoRegistry {
  /** protobufjs reflection of every loaded type (field types, enums), for checking request mappings. */
  readonly reflection: Root;
  /** grpc codecs and method options by fully qualified name, as @grpc/proto-loader builds them. */
  readonly definitions: PackageDefinition;
  private readonly methods = new Map<string, GrpcMethod>();

  /** Loads every `.proto` under `root` (imports resolve against `root`); throws naming the file on a syntax error. */
  constructor(readonly root: string) {
    let files: string[];
    try {
      files = protoFiles(root);
    } catch (err) {
      throw new Error(`cannot read the proto directory ${root} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (files.length === 0) throw new Error(`no .proto files under ${root}`);
    // One parse serves both: protobufjs reflection for checking mappings, proto-loader's definitions (same options) for the wire.
    const reflection = new Root();
    reflection.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(root, target));
    reflection.loadSync(files, { keepCase: PROTO_LOADER_OPTIONS.keepCase });
    reflection.resolveAll();
    this.reflection = reflection;
    this.definitions = fromJSON(reflection.toJSON(), PROTO_LOADER_OPTIONS);
  }

  /** Names of every service, sorted. */
  services(): string[] {
    return Object.keys(this.definitions)
      .filter((name) => isService(this.definitions[name]))
      .sort();
  }

  /** A unary method; throws a message naming what exists when the service or method does not. */
  method(service: string, name: string): GrpcMethod {
    const key = `${service}/${name}`;
    const cached = this.methods.get(key);
    if (cached) return cached;
    const def = this.definitions[service];
    if (!isService(def)) throw new Error(`no gRPC service "${service}" (known: ${this.services().join(', ') || 'none'})`);
    const m = def[name];
    if (!m) throw new Error(`service ${service} has no method "${name}" (known: ${Object.keys(def).sort().join(', ')})`);
    if (m.requestStream || m.responseStream) throw new Error(`${service}/${name} is a streaming method; only unary methods can be called`);
    const requestType = this.reflection.lookupService(service).methods[name]?.resolvedRequestType;
    if (!requestType) throw new Error(`${service}/${name}: request type not resolved`);
    const level = m.options?.idempotency_level;
    const method: GrpcMethod = {
      service,
      name,
      path: m.path,
      requestType,
      idempotent: level === 'NO_SIDE_EFFECTS' || level === 'IDEMPOTENT',
      encode: (request) => m.requestSerialize(request),
      decode: (bytes) => m.responseDeserialize(bytes),
    };
    this.methods.set(key, method);
    return method;
  }
}
