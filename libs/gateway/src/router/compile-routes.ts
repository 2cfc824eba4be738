/**
 * Turns a validated RoutingMap into a route table whose chains (`limits → authenticate → authorize → rateLimit →
 * cache → body → terminal`) are built once per map version, never per request. Building the edge slices is createBff's job.
 */
import { basename } from 'node:path';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import { z } from 'zod';
import { ConfigError, EdgeError, readJsonBody, type EdgeContext, type EdgeState } from '@portico/edge';
import type { RouteDefinition, RoutingMap } from '../routing-map/load-routing-map';
import type { Forwarder } from '../proxy/proxy-route';
import { RouteTable } from './route-table';

/** A route ready to serve: its identity for metrics and spans, and its chain. */
export interface CompiledRoute {
  readonly id: string;
  readonly template: string;
  readonly definition: RouteDefinition;
  readonly chain: (ctx: EdgeContext) => Promise<void>;
  /** Set on a proxied or `compose:` route with no edge functions: its answer, for serving it without the Koa stack (direct-route.ts). */
  readonly direct?: Forwarder;
}

/** A routing map compiled into a route table; swapped in as one reference. */
export interface CompiledRoutingMap {
  readonly version: string;
  readonly file: string;
  readonly routes: readonly CompiledRoute[];
  readonly table: RouteTable<CompiledRoute>;
  /** True when some route has a direct forwarder. */
  readonly hasDirect: boolean;
}

/** What compileRoutingMap needs to build each route's chain. */
export interface CompileDeps {
  /** Code handlers by the name routes.yaml gives them. */
  handlers: Readonly<Record<string, Middleware<EdgeState>>>;
  /** The route's edge slices in order (authenticate, authorize, rateLimit, cache); built by createBff. */
  policyChain(route: RouteDefinition): Middleware<EdgeState>[];
  /** The terminal of an upstream route; may throw to reject the map (e.g. an origin without a pool). */
  proxy(route: RouteDefinition): Middleware<EdgeState>;
  /**
   * The answer of a proxied or `compose:` route with no edge functions, served directly (undefined: through the chain
   * after all); without it every route takes the chain.
   */
  direct?(route: RouteDefinition): Forwarder | undefined;
  /** The terminal of a `compose:` route; without it such routes are refused. */
  compose?(route: RouteDefinition): Middleware<EdgeState>;
  /** The terminal of a `grpc:` route; without it such routes are refused. */
  grpc?(route: RouteDefinition): Middleware<EdgeState>;
  /** Body limit of routes that set none: MAX_BODY_SIZE. */
  defaultBodyLimit: number;
}

/** Compiles every route's chain; a route that cannot be served (unknown handler, …) throws ConfigError. */
export function compileRoutingMap(map: RoutingMap, deps: CompileDeps): CompiledRoutingMap {
  const name = basename(map.file);
  const problems: string[] = [];
  const table = new RouteTable<CompiledRoute>();
  const routes: CompiledRoute[] = [];
  for (const route of map.routes) {
    let terminal: Middleware<EdgeState> | undefined;
    let stack: Middleware<EdgeState>[] = [];
    try {
      if (route.handler !== undefined) {
        terminal = deps.handlers[route.handler];
        if (!terminal) {
          const known = Object.keys(deps.handlers).sort().join(', ') || 'none';
          problems.push(`${name} › ${route.id} › handler: no handler named "${route.handler}" (known: ${known})`);
          continue;
        }
      } else if (route.compose !== undefined) {
        if (!deps.compose) throw new Error('compose routes are not available in this service');
        terminal = deps.compose(route);
      } else if (route.grpc !== undefined) {
        if (!deps.grpc) throw new Error('grpc routes are not available in this service');
        terminal = deps.grpc(route);
      } else terminal = deps.proxy(route);
      stack = [routeLimits(route, deps.defaultBodyLimit), ...deps.policyChain(route)];
    } catch (err) {
      // Edge slices throw ConfigError lines that already name the field (`policy.credentials: …`).
      if (err instanceof ConfigError) problems.push(...err.problems.map((line) => `${name} › ${route.id} › ${line}`));
      else problems.push(`${name} › ${route.id} › ${route.upstream ? 'upstream' : route.compose ? 'compose' : route.grpc ? 'grpc' : 'policy'}: ${(err as Error).message}`);
      continue;
    }
    // routeLimits alone (deadline, body limit) is the whole stack of a route without edge functions.
    const direct = (isProxied(route) || route.compose !== undefined) && stack.length === 1 && !route.policy.body ? deps.direct?.(route) : undefined;
    if (route.policy.body) stack.push(validateBody(route, deps.defaultBodyLimit));
    const compiled: CompiledRoute = { id: route.id, template: route.path, definition: route, chain: compose([...stack, terminal]), ...(direct ? { direct } : {}) };
    table.insert(route.method, route.pattern, compiled);
    routes.push(compiled);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { version: map.version, file: map.file, routes, table, hasDirect: routes.some((route) => route.direct !== undefined) };
}

function isProxied(route: RouteDefinition): boolean {
  return route.handler === undefined && route.compose === undefined && route.grpc === undefined && route.target !== undefined;
}

/** The body limit in force for a route. */
export function bodyLimitOf(route: RouteDefinition, defaultBodyLimit: number): number {
  return route.policy.bodyLimit ?? defaultBodyLimit;
}

/** Starts the route deadline and refuses a declared body over the route's limit before anything else reads it. */
function routeLimits(route: RouteDefinition, defaultBodyLimit: number): Middleware<EdgeState> {
  const limit = bodyLimitOf(route, defaultBodyLimit);
  const timeout = route.policy.timeout;
  return function routeLimits(ctx, next) {
    ctx.state.deadline = Date.now() + timeout;
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > limit) {
      // Connection: close, so Node does not read the rest of an oversized body just to keep the socket.
      throw new EdgeError('PAYLOAD_TOO_LARGE', { detail: `request body exceeds ${limit} bytes`, headers: { Connection: 'close' } });
    }
    return next();
  };
}

/** Reads the JSON body (bounded) and checks it against the route's JSON Schema; 422 lists every problem. */
function validateBody(route: RouteDefinition, defaultBodyLimit: number): Middleware<EdgeState> {
  const schema = z.fromJSONSchema(route.policy.body as Parameters<typeof z.fromJSONSchema>[0]);
  const limit = bodyLimitOf(route, defaultBodyLimit);
  return async function validateBody(ctx, next) {
    const raw = await readJsonBody(ctx, { limit });
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(body)', message: issue.message }));
      throw new EdgeError('VALIDATION_FAILED', { detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '), extensions: { errors } });
    }
    // The client's JSON as sent (not zod's output, which may drop unknown members) is what the upstream receives.
    ctx.state.body = raw;
    await next();
  };
}
