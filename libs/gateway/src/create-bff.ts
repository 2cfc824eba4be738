/**
 * createBff: assembles one Portico BFF from its routing map and handlers — config, logger, metrics, readiness, stores,
 * authenticator, upstreams, app-wide middleware and the hot-reloading router. `main.ts` only calls it and listens.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import { z } from 'zod';
import {
  createAuthenticator,
  createEdgeApp,
  createEdgeRuntime,
  releaseStartupMemory,
  serve,
  type EdgeConfig,
  type EdgeLogger,
  type EdgeMetrics,
  type EdgeRuntime,
  type EdgeState,
  type Authenticator,
  type EventBus,
  type RedisClient,
  type Readiness,
  type Serving,
} from '@portico/edge';
import { loadRoutingMap, type RouteDefinition, type RoutingMap } from './routing-map/load-routing-map';
import { watchRoutingMap, type ReloadOutcome, type RoutingMapWatcher } from './routing-map/hot-reload';
import { referencedVariables } from './routing-map/upstream-env';
import { compileRoutingMap, type CompileDeps } from './router/compile-routes';
import { createRouter, type Router } from './router/router';
import { policyChain } from './router/policy-chain';
import { createForwarder, forwardingTerminal, type Forwarder } from './proxy/proxy-route';
import { directRoutes } from './proxy/direct-route';
import { principalHeaders } from './proxy/forwarded-headers';
import { composeForwarder, composeTerminal, composer, type ComposeDeps, type Composer } from './compose/declarative';
import type { Upstreams } from './clients/upstreams';
import { apiKeyStoreFor, createBffServices, type ApiKeySource } from './bff-services';
import { upstreamEnvShape, upstreamPolicyFromEnv } from './clients/upstream-env-policy';
import { createBffGrpc, grpcVariables, type BffGrpc, type BffGrpcWiring, type GrpcUpstreamOption } from './grpc/bff-grpc';

export type { ApiKeySource } from './bff-services';

/** What a BFF is made of; everything else comes from the environment through loadConfig. */
export interface CreateBffOptions {
  /** Service name for logs, metrics and traces (`mobile-bff`). */
  serviceName: string;
  /** Path of routes.yaml. */
  routesFile: string;
  /** The environment to read (default process.env); read once, by loadConfig. */
  env?: NodeJS.ProcessEnv;
  /** Defaults applied before validation, e.g. `{ PORT: '8081' }`. */
  configDefaults?: Record<string, string>;
  /** Code handlers by the name routes.yaml gives them. */
  handlers?: Readonly<Record<string, Middleware<EdgeState>>>;
  /** Upstream names → the variable holding their URL (`{ order: 'ORDER_SERVICE_URL' }`); map-only variables get derived names. */
  upstreams?: Readonly<Record<string, string>>;
  /** The service's own environment variables, validated with the edge ones. */
  configExtra?: z.ZodRawShape;
  /** gRPC upstream names → the variable holding their `host:port` (`{ kitchen: 'KITCHEN_GRPC_ADDRESS' }`), for handlers' clients. */
  grpcUpstreams?: Readonly<Record<string, GrpcUpstreamOption>>;
  /** Directory of the .proto files gRPC routes and clients use; GRPC_PROTO_PATH overrides it. */
  protoPath?: string;
  /** Where API keys come from (default `'file'`: API_KEYS_FILE); `'redis-or-file'` prefers Redis when REDIS_URL is set. */
  apiKeys?: ApiKeySource;
  /** CORS middleware, run after the request guards and before routing (so preflights never reach a route). */
  cors?: Middleware<EdgeState>;
  /** Where log lines go (default stdout); tests capture them. Any pino destination fits. */
  logDestination?: { write(line: string): void };
  /** Watch routes.yaml and reload on SIGHUP (default true). */
  watch?: boolean;
  /** Install SIGTERM/SIGINT handlers on listen() (default true; tests turn them off). */
  signals?: boolean;
}

/** Something mounted on a BFF after it is built (the live module): middleware before routing, upgrades, a shutdown step. */
export interface BffExtension {
  /** Runs before the router; calls next() for requests that are not its own. */
  readonly middleware?: Middleware<EdgeState>;
  /** Takes an HTTP upgrade and returns true, or returns false leaving the socket alone. */
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Runs on shutdown once in-flight requests have finished. */
  close?(): unknown;
}

/** A running BFF: the Koa app, its config and the handles tests and main.ts need. */
export interface Bff {
  readonly app: Koa<EdgeState>;
  readonly config: EdgeConfig;
  /** The service's own validated variables (configExtra). */
  readonly extra: Readonly<Record<string, unknown>>;
  readonly logger: EdgeLogger;
  readonly metrics: EdgeMetrics;
  readonly readiness: Readiness;
  readonly upstreams: Upstreams;
  /** gRPC upstreams, protos and clients (`bff.grpc.client('kitchen', 'portico.kitchen.v1.KitchenService')`). */
  readonly grpc: BffGrpc;
  readonly router: Router;
  readonly authenticator: Authenticator;
  /** The runtime's event bus (Redis pub/sub with REDIS_URL, else in-process). */
  readonly bus: EventBus;
  /** The runtime's Redis client, when REDIS_URL is set. */
  readonly redis?: RedisClient;
  /** Mounts an extension; its middleware runs before the router, its upgrade handler on the server's `upgrade`. */
  mount(name: string, extension: BffExtension): void;
  /** The version of the routing map in force. */
  routingMapVersion(): string;
  /** Re-reads routes.yaml now (what SIGHUP does); an invalid map is logged and the old one stays. */
  reload(): Promise<ReloadOutcome>;
  /** Starts the HTTP server with the edge server options, timeouts and graceful shutdown. */
  listen(port?: number, host?: string): Promise<Server>;
  /** Stops the server, the watcher, the pools and the stores. */
  close(): Promise<void>;
}

/** Builds a BFF; a bad environment or routing map throws ConfigError with one line per problem. */
export async function createBff(options: CreateBffOptions): Promise<Bff> {
  const namedGrpc = options.grpcUpstreams ?? {};
  const grpcNamed = Object.values(namedGrpc).map((o) => (typeof o === 'string' ? o : o.variable));
  const mapVariables = [...new Set([...referencedVariables(options.routesFile), ...Object.values(options.upstreams ?? {}), ...grpcNamed])];
  // Upstream URLs are read here, by loadConfig; an unset one is reported by the routing-map loader, naming the route.
  const upstreamShape = Object.fromEntries(mapVariables.map((name) => [name, z.string().optional()]));
  const runtime = createEdgeRuntime(
    {
      serviceName: options.serviceName,
      defaults: { ...(options.protoPath ? { GRPC_PROTO_PATH: options.protoPath } : {}), ...options.configDefaults },
      extra: { ...upstreamShape, GRPC_PROTO_PATH: z.string().optional(), ...upstreamEnvShape, ...(options.configExtra ?? {}) },
    },
    options.env ?? process.env,
    { logDestination: options.logDestination },
  ) as EdgeRuntime<Record<string, unknown>>;
  const { edge: config, extra, logger, metrics, readiness } = runtime;
  const upstreamPolicy = upstreamPolicyFromEnv(extra);
  const routeEnv = Object.fromEntries(mapVariables.map((name) => [name, extra[name] as string | undefined]));
  const shutdownEarly = async (err: unknown): Promise<never> => {
    for (const hook of [...runtime.hooks].reverse()) await Promise.resolve().then(hook.fn).catch(() => undefined);
    throw err;
  };

  let initialMap: RoutingMap;
  try {
    initialMap = loadRoutingMap(options.routesFile, routeEnv);
  } catch (err) {
    return shutdownEarly(err);
  }
  let grpc: BffGrpcWiring;
  try {
    grpc = createBffGrpc({ runtime: runtime as EdgeRuntime<unknown>, map: initialMap, named: namedGrpc, env: routeEnv, protoPath: extra.GRPC_PROTO_PATH as string | undefined, policy: upstreamPolicy });
  } catch (err) {
    return shutdownEarly(err);
  }
  // gRPC addresses are host:port, not URLs: they get channels above, never HTTP pools.
  const grpcVars = new Set(grpcVariables(initialMap, namedGrpc));
  const authenticator = createAuthenticator(config.auth, { logger, apiKeys: apiKeyStoreFor(options.apiKeys, runtime as EdgeRuntime<unknown>) });
  const services = createBffServices({ runtime: runtime as EdgeRuntime<unknown>, authenticator, named: options.upstreams ?? {}, mapVariables: mapVariables.filter((v) => !grpcVars.has(v)), routeEnv, policy: upstreamPolicy });

  const proxyDeps = { upstreams: services.upstreams, trustedProxyHops: config.http.trustedProxyHops, defaultBodyLimit: config.http.maxBodyBytes };
  // A `compose:` route calls its parts within the route deadline, carrying the verified principal's identity headers.
  const composeDeps = (route: RouteDefinition): ComposeDeps => ({
    upstreams: services.upstreams,
    routePath: route.path,
    routeTimeoutMs: route.policy.timeout,
    headers: principalHeaders,
    grpc: { registry: grpc.registry, upstreamFor: grpc.upstreamFor },
  });
  // A route's forwarding or composition is built once per map version, whether the Koa chain, a direct route or both serve it.
  const forwarders = new WeakMap<RouteDefinition, Forwarder>();
  const forwarderOf = (route: RouteDefinition): Forwarder => memo(forwarders, route, () => createForwarder(route, proxyDeps));
  const composers = new WeakMap<RouteDefinition, Composer>();
  const composerOf = (route: RouteDefinition): Composer => memo(composers, route, () => composer(route.compose!, composeDeps(route)));
  const compileDeps: CompileDeps = {
    handlers: options.handlers ?? {},
    defaultBodyLimit: config.http.maxBodyBytes,
    policyChain: (route) => policyChain(route, services.policy),
    proxy: (route) => forwardingTerminal(forwarderOf(route), route.policy.timeout),
    direct: (route) => (route.compose ? composeForwarder(composerOf(route), logger) : forwarderOf(route)),
    grpc: (route) => grpc.route(route, config.http.maxBodyBytes),
    compose: (route) => composeTerminal(composerOf(route), route.policy.timeout),
  };
  const install = (map: RoutingMap): void => {
    readiness.setInfo('routingMapVersion', map.version);
    metrics.setRoutingMapVersion(map.version);
  };
  let router: Router;
  try {
    router = createRouter(compileRoutingMap(initialMap, compileDeps));
  } catch (err) {
    return shutdownEarly(err);
  }
  install(initialMap);
  readiness.register('config', () => true);

  // Each route enforces its own bodyLimit (default MAX_BODY_SIZE) once matched, so routes may stream larger bodies.
  const app = createEdgeApp(runtime, { bodyLimitPerRoute: true });
  if (options.cors) app.use(options.cors);
  const mounted: Array<Middleware<EdgeState>> = [];
  app.use(function mountedExtensions(ctx, next) {
    const run = (i: number): Promise<unknown> => (i < mounted.length ? Promise.resolve(mounted[i]!(ctx, () => run(i + 1))) : next());
    return run(0);
  });
  app.use(router.middleware);
  // Proxied routes without edge functions skip the Koa stack while nothing else must see every request first.
  const direct = directRoutes({
    current: () => router.current(),
    logger,
    metrics,
    maxBodyBytes: Number.MAX_SAFE_INTEGER,
    defaultBodyLimit: config.http.maxBodyBytes,
    trustedProxyHops: config.http.trustedProxyHops,
    enabled: () => options.cors === undefined && mounted.length === 0,
  });
  const upgraders: BffExtension[] = [];
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (upgraders.some((ext) => ext.handleUpgrade!(req, socket, head))) return;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };

  const swap = (map: RoutingMap): void => {
    router.swap(compileRoutingMap(map, compileDeps));
    install(map);
  };
  const watching = options.watch !== false;
  const watcher: RoutingMapWatcher = watchRoutingMap(options.routesFile, routeEnv, swap, logger, {
    currentVersion: initialMap.version,
    watchFile: watching,
    sighup: watching,
  });
  runtime.onShutdown('routing-map watcher', () => watcher.close());

  let serving: Serving | undefined;
  let closed: Promise<void> | undefined;
  return {
    app,
    config,
    extra,
    logger,
    metrics,
    readiness,
    upstreams: services.upstreams,
    grpc,
    router,
    authenticator,
    bus: runtime.bus,
    redis: runtime.redis,
    mount(name, extension) {
      if (extension.middleware) mounted.push(extension.middleware);
      if (extension.handleUpgrade) {
        upgraders.push(extension);
        // Only with an upgrade handler mounted: without one, Node answers upgrades as it always has.
        if (upgraders.length === 1) serving?.server.on('upgrade', onUpgrade);
      }
      const close = extension.close?.bind(extension);
      if (close && serving) serving.lifecycle.onShutdown(name, close);
      else if (close) runtime.onShutdown(name, close);
    },
    routingMapVersion: () => router.current().version,
    reload: () => watcher.reload('manual'),
    async listen(port, host) {
      serving = await serve(app, runtime as EdgeRuntime<unknown>, { port, host, front: direct });
      if (upgraders.length > 0) serving.server.on('upgrade', onUpgrade);
      if (options.signals !== false) serving.lifecycle.installSignalHandlers();
      logger.info({ routingMapVersion: router.current().version }, `${options.serviceName} serving; /readyz follows its checks`);
      return serving.server;
    },
    close() {
      closed ??= serving ? serving.close() : (async () => void (await shutdownEarly(undefined).catch(() => undefined)))();
      return closed;
    },
  };
}

/**
 * main.ts's start: listens with readiness held (the `startup` check) until the one start-up memory collection has
 * run, after the first JWKS download has settled, so its pause never lands on traffic. Tests call `bff.listen()`.
 */
export async function startBff(bff: Bff): Promise<Server> {
  const memory = releaseStartupMemory({ readiness: bff.readiness, logger: bff.logger, after: bff.authenticator.ready() });
  const server = await bff.listen();
  await memory;
  return server;
}

function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
  }
  return value;
}
