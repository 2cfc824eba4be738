/**
 * createBff: assembles one Portico BFF from its routing map and handlers — config, logger, metrics, readiness, stores,
 * authenticator, upstreams, app-wide middleware and the hot-reloading router. `main.ts` only calls it and listens.
 */
import type { Server } from 'node:http';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import { z } from 'zod';
import {
  createAuthenticator,
  createEdgeApp,
  createEdgeRuntime,
  serve,
  type EdgeConfig,
  type EdgeLogger,
  type EdgeMetrics,
  type EdgeRuntime,
  type EdgeState,
  type Readiness,
  type Serving,
} from '@portico/edge';
import { loadRoutingMap, type RoutingMap } from './routing-map/load-routing-map';
import { watchRoutingMap, type ReloadOutcome, type RoutingMapWatcher } from './routing-map/hot-reload';
import { referencedVariables } from './routing-map/upstream-env';
import { compileRoutingMap, type CompileDeps } from './router/compile-routes';
import { createRouter, type Router } from './router/router';
import { policyChain } from './router/policy-chain';
import { proxyRoute } from './proxy/proxy-route';
import type { Upstreams } from './clients/upstreams';
import { createBffServices } from './bff-services';

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
  /** CORS middleware, run after the request guards and before routing (so preflights never reach a route). */
  cors?: Middleware<EdgeState>;
  /** Where log lines go (default stdout); tests capture them. Any pino destination fits. */
  logDestination?: { write(line: string): void };
  /** Watch routes.yaml and reload on SIGHUP (default true). */
  watch?: boolean;
  /** Install SIGTERM/SIGINT handlers on listen() (default true; tests turn them off). */
  signals?: boolean;
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
  readonly router: Router;
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
  const mapVariables = [...new Set([...referencedVariables(options.routesFile), ...Object.values(options.upstreams ?? {})])];
  // Upstream URLs are read here, by loadConfig; an unset one is reported by the routing-map loader, naming the route.
  const upstreamShape = Object.fromEntries(mapVariables.map((name) => [name, z.string().optional()]));
  const runtime = createEdgeRuntime(
    { serviceName: options.serviceName, defaults: options.configDefaults, extra: { ...upstreamShape, ...(options.configExtra ?? {}) } },
    options.env ?? process.env,
    { logDestination: options.logDestination },
  ) as EdgeRuntime<Record<string, unknown>>;
  const { edge: config, extra, logger, metrics, readiness } = runtime;
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
  const authenticator = createAuthenticator(config.auth, { logger });
  const services = createBffServices({ runtime: runtime as EdgeRuntime<unknown>, authenticator, named: options.upstreams ?? {}, mapVariables, routeEnv });

  const compileDeps: CompileDeps = {
    handlers: options.handlers ?? {},
    defaultBodyLimit: config.http.maxBodyBytes,
    policyChain: (route) => policyChain(route, services.policy),
    proxy: (route) => proxyRoute(route, { upstreams: services.upstreams, trustedProxyHops: config.http.trustedProxyHops, defaultBodyLimit: config.http.maxBodyBytes }),
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
  app.use(router.middleware);

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
    router,
    routingMapVersion: () => router.current().version,
    reload: () => watcher.reload('manual'),
    async listen(port, host) {
      serving = await serve(app, runtime as EdgeRuntime<unknown>, { port, host });
      if (options.signals !== false) serving.lifecycle.installSignalHandlers();
      logger.info({ routingMapVersion: router.current().version }, `${options.serviceName} ready`);
      return serving.server;
    },
    close() {
      closed ??= serving ? serving.close() : (async () => void (await shutdownEarly(undefined).catch(() => undefined)))();
      return closed;
    },
  };
}
