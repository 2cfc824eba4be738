/** Test harness: real upstream servers on 127.0.0.1 and a router + proxy app built from a routing-map string, without edge auth. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa, { type Middleware } from 'koa';
import { createMetrics, problemMiddleware, type EdgeState, type Principal } from '@portico/edge';
import { loadRoutingMap } from '../../src/routing-map/load-routing-map';
import { compileRoutingMap } from '../../src/router/compile-routes';
import { createRouter, type Router } from '../../src/router/router';
import { createForwarder, proxyRoute } from '../../src/proxy/proxy-route';
import { directRoutes } from '../../src/proxy/direct-route';
import { createUpstreams, type UpstreamPolicyOverrides, type Upstreams } from '../../src/clients/upstreams';

/** A request as the upstream saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/** A real HTTP server on 127.0.0.1 standing in for a backend. */
export interface TestUpstream {
  url: string;
  seen: SeenRequest[];
  server: Server;
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** Starts a backend on a free port; `handler` answers, every request is recorded first. */
export async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A proxy app serving a routing map. */
export interface TestProxy {
  url: string;
  router: Router;
  upstreams: Upstreams;
  close(): Promise<void>;
}

/** Options of startProxy. */
export interface ProxyOptions {
  trustedProxyHops?: number;
  defaultBodyLimit?: number;
  /** Sets ctx.state.principal on every request, standing in for authenticate. */
  principal?: Principal;
  handlers?: Record<string, Middleware<EdgeState>>;
  /** Overrides for every upstream's policy (e.g. a breaker that opens quickly). */
  upstreamPolicy?: UpstreamPolicyOverrides;
  /**
   * Serves proxied routes without edge functions as createBff does, through directRoutes in front of the app (only
   * without `principal`: a route with a principal has an authenticate step, so it is never direct).
   */
  direct?: boolean;
}

/** The two ways a proxied route is served; proxy tests run against both. */
export const PROXY_PATHS = [
  { label: 'via the Koa chain', direct: false },
  { label: 'via a direct route', direct: true },
] as const;

/** startProxy with `direct` fixed, for a describe block run once per PROXY_PATHS entry. */
export function proxyVia(via: (typeof PROXY_PATHS)[number]): typeof startProxy {
  return (yaml, env, options = {}) => startProxy(yaml, env, { ...options, direct: via.direct });
}

/** Serves `yaml` with router + proxy on a free port; `env` names the upstream URLs. */
export async function startProxy(yaml: string, env: Record<string, string>, options: ProxyOptions = {}): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-proxy-'));
  const file = join(dir, 'routes.yaml');
  writeFileSync(file, yaml);
  const map = loadRoutingMap(file, env);
  const upstreams = createUpstreams(
    Object.fromEntries(Object.entries(env).map(([name, url]) => [name.toLowerCase(), { url, policy: options.upstreamPolicy }])),
    { logger: silent },
  );
  const defaultBodyLimit = options.defaultBodyLimit ?? 1_048_576;
  const trustedProxyHops = options.trustedProxyHops ?? 0;
  const proxyDeps = { upstreams, trustedProxyHops, defaultBodyLimit };
  const direct = options.direct === true && !options.principal;
  const router = createRouter(
    compileRoutingMap(map, {
      handlers: options.handlers ?? {},
      defaultBodyLimit,
      policyChain: () => [],
      proxy: (route) => proxyRoute(route, proxyDeps),
      direct: direct ? (route) => createForwarder(route, proxyDeps) : undefined,
    }),
  );
  const front = directRoutes({
    current: () => router.current(),
    logger: silent,
    metrics: createMetrics({ serviceName: 'proxy-test', defaultMetrics: false }),
    maxBodyBytes: Number.MAX_SAFE_INTEGER,
    defaultBodyLimit,
    trustedProxyHops,
    enabled: () => direct,
  });
  const app = new Koa<EdgeState>();
  app.on('error', () => undefined);
  app.use(async function testState(ctx, next) {
    ctx.state.requestId = 'req-1';
    ctx.set('X-Request-Id', 'req-1');
    if (options.principal) ctx.state.principal = options.principal;
    await next();
  });
  app.use(problemMiddleware());
  app.use(router.middleware);
  const callback = app.callback();
  const server = createServer((req, res) => void (front(req, res) || callback(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    router,
    upstreams,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstreams.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
