/**
 * The gRPC side of a BFF, built once at start-up by createBff: the .proto files (GRPC_PROTO_PATH), one channel per
 * backend address named by the routing map or the service (`KITCHEN_GRPC_ADDRESS`), the `grpc:` route terminals and
 * clients for handlers. Closing the channels is registered as a shutdown hook.
 */
import type { Middleware } from 'koa';
import { ConfigError, type EdgeRuntime, type EdgeState } from '@portico/edge';
import type { RouteDefinition, RoutingMap } from '../routing-map/load-routing-map';
import { addressVariable } from './grpc-route-schema';
import { addressProblem, createGrpcUpstreams, grpcUpstreamNameFor, type GrpcUpstreamDef, type GrpcUpstreams } from './grpc-upstreams';
import type { GrpcPolicyOverrides } from './grpc-policy';
import { withSharedPolicy, type SharedUpstreamOverrides } from '../clients/upstream-env-policy';
import type { GrpcUpstream } from './grpc-upstream';
import { GrpcClient } from './grpc-client';
import { grpcRoute } from './grpc-route';
import { ProtoRegistry } from './proto-registry';

/** A gRPC backend a service names itself: the variable holding its `host:port`, and optional policy overrides. */
export type GrpcUpstreamOption = string | { variable: string; policy?: GrpcPolicyOverrides };

/** What createBffGrpc needs. */
export interface BffGrpcInput {
  runtime: EdgeRuntime<unknown>;
  /** The routing map at start-up: its `grpc:` routes name the channels to open. */
  map: RoutingMap;
  /** Upstream names → variable (createBff's `grpcUpstreams` option). */
  named: Readonly<Record<string, GrpcUpstreamOption>>;
  /** Variable values, as loadConfig read them. */
  env: Readonly<Record<string, string | undefined>>;
  /** GRPC_PROTO_PATH as loadConfig read it. */
  protoPath: string | undefined;
  /** Overrides for every upstream, from the environment (UPSTREAM_BREAKER_OPEN); the service's own policies win. */
  policy?: SharedUpstreamOverrides;
}

/** The gRPC upstreams and protos of a BFF, and clients over them. */
export interface BffGrpc {
  readonly upstreams: GrpcUpstreams;
  /** The loaded .proto files; undefined without GRPC_PROTO_PATH. */
  readonly registry: ProtoRegistry | undefined;
  /** A client for `service` on the upstream called `upstream` (`bff.grpc.client('kitchen', 'portico.kitchen.v1.KitchenService')`). */
  client(upstream: string, service: string): GrpcClient;
}

/** Internal to createBff: the route terminal factory and the channel lookup for `grpc:` composition parts beside the public handle. */
export interface BffGrpcWiring extends BffGrpc {
  route(route: RouteDefinition, defaultBodyLimit: number): Middleware<EdgeState>;
  /** The upstream whose address the variable holds; throws a message naming the variable when there is none. */
  upstreamFor(variable: string): GrpcUpstream;
}

function variableOf(option: GrpcUpstreamOption): string {
  return typeof option === 'string' ? option : option.variable;
}

/** Every variable that holds a gRPC address: named by the service, or by a `grpc:` route or composition part of the map. */
export function grpcVariables(map: RoutingMap, named: Readonly<Record<string, GrpcUpstreamOption>>): string[] {
  const fromMap = map.routes.flatMap((r) => [
    ...(r.grpc ? [addressVariable(r.grpc.upstream)] : []),
    ...(r.compose?.parts ?? []).flatMap((p) => (p.grpc ? [addressVariable(p.grpc.upstream)] : [])),
  ]);
  return [...new Set([...Object.values(named).map(variableOf), ...fromMap])];
}

/** Loads the protos and opens one channel per address; a bad proto directory is a ConfigError naming GRPC_PROTO_PATH. */
export function createBffGrpc(input: BffGrpcInput): BffGrpcWiring {
  let registry: ProtoRegistry | undefined;
  if (input.protoPath) {
    try {
      registry = new ProtoRegistry(input.protoPath);
    } catch (err) {
      throw new ConfigError([`GRPC_PROTO_PATH: ${(err as Error).message}`]);
    }
  }
  const nameOf = new Map<string, string>();
  const policies = new Map<string, GrpcPolicyOverrides | undefined>();
  for (const [name, option] of Object.entries(input.named)) {
    nameOf.set(variableOf(option), name);
    policies.set(name, typeof option === 'string' ? undefined : option.policy);
  }
  const problems = new Map<string, string>();
  const defs: Record<string, GrpcUpstreamDef> = {};
  const byAddress = new Map<string, string>();
  for (const variable of grpcVariables(input.map, input.named)) {
    const address = input.env[variable];
    if (!address) continue;
    const problem = addressProblem(address);
    if (problem) {
      problems.set(variable, `${variable}: ${problem}`);
      continue;
    }
    // Two variables holding one address share its channel, as HTTP upstreams share an origin's pool.
    const name = byAddress.get(address) ?? nameOf.get(variable) ?? grpcUpstreamNameFor(variable);
    nameOf.set(variable, name);
    if (byAddress.has(address)) continue;
    if (defs[name]) throw new ConfigError([`${variable}: the gRPC upstream name "${name}" is already used for another address`]);
    byAddress.set(address, name);
    defs[name] = { address, policy: withSharedPolicy(input.policy, policies.get(name)) };
  }
  const { logger, metrics } = input.runtime;
  const upstreams = createGrpcUpstreams(defs, { logger, metrics });
  input.runtime.onShutdown('grpc channels', () => upstreams.close());

  const upstreamFor = (variable: string): GrpcUpstream => {
    const problem = problems.get(variable);
    if (problem) throw new Error(problem);
    const name = nameOf.get(variable);
    if (name !== undefined && upstreams.has(name)) return upstreams.get(name);
    if (!input.env[variable]) throw new Error(`environment variable ${variable} is not set`);
    throw new Error(`${variable} was not in use at start-up; restart the service to open a channel to it`);
  };
  return {
    upstreams,
    registry,
    client(upstream, service) {
      if (!registry) throw new Error('no .proto files loaded: set GRPC_PROTO_PATH to the directory holding them');
      return new GrpcClient(upstreams.get(upstream), registry, service);
    },
    route: (route, defaultBodyLimit) => grpcRoute(route, { registry, upstreamFor, defaultBodyLimit }),
    upstreamFor,
  };
}
