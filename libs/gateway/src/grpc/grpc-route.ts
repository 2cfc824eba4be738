/**
 * The terminal of a `grpc:` route: builds the request message from path, query and body (request-mapping.ts), calls the
 * unary method within the route deadline and answers the response message as JSON (PROTO_LOADER_OPTIONS convention).
 * Everything is resolved at start-up; a route naming an unknown service, method, field or upstream is refused then.
 */
import type { Middleware } from 'koa';
import { readJsonBody, type EdgeState } from '@portico/edge';
import type { RouteDefinition } from '../routing-map/load-routing-map';
import { bodyLimitOf } from '../router/compile-routes';
import { requestDeadline } from '../compose/request-deadline';
import { addressVariable } from './grpc-route-schema';
import { buildRequest, compileRequestPlan } from './request-mapping';
import { requestMetadata } from './grpc-client';
import type { GrpcUpstream } from './grpc-upstream';
import type { ProtoRegistry } from './proto-registry';

/** What a gRPC route terminal needs, created once at start-up. */
export interface GrpcRouteDeps {
  /** The loaded .proto files; undefined when the service configured none (GRPC_PROTO_PATH unset). */
  registry: ProtoRegistry | undefined;
  /** The upstream whose address the variable holds; throws when none was created for it. */
  upstreamFor(variable: string): GrpcUpstream;
  /** Body limit of routes that set none: MAX_BODY_SIZE. */
  defaultBodyLimit: number;
}

/** Builds the terminal of one `grpc:` route; throws a message naming the problem when the route cannot be served. */
export function grpcRoute(route: RouteDefinition, deps: GrpcRouteDeps): Middleware<EdgeState> {
  const spec = route.grpc;
  if (!spec) throw new Error('not a grpc route');
  if (!deps.registry) throw new Error('no .proto files loaded: set GRPC_PROTO_PATH to the directory holding them');
  const upstream = deps.upstreamFor(addressVariable(spec.upstream));
  const method = deps.registry.method(spec.service, spec.method);
  const plan = compileRequestPlan(spec.request, method.requestType);
  // docs/edge-defaults.md › Upstreams: only idempotent reads are retried; the proto says which methods have no side effects.
  const retries = method.idempotent ? route.policy.retries : 0;
  const limit = bodyLimitOf(route, deps.defaultBodyLimit);
  const added = route.headers.add;

  return async function grpcRoute(ctx) {
    const body = plan.readsBody ? (ctx.state.body ?? (await readJsonBody(ctx, { limit }))) : undefined;
    const request = buildRequest(plan, { params: ctx.state.params ?? {}, query: ctx.query, body });
    const deadline = requestDeadline(ctx, route.policy.timeout);
    const metadata = { ...added, ...requestMetadata(ctx) };
    if (route.forwardAuthorization && ctx.get('authorization')) metadata.authorization = ctx.get('authorization');
    const reply = await upstream.call({ method, request, deadline: deadline.at, signal: deadline.clientSignal, metadata, retries, operation: route.id, trace: deadline.trace });
    ctx.status = 200;
    ctx.body = reply;
  };
}
