/**
 * The app-wide edge stack every Portico service shares, outermost first (docs/style.md "How a request flows"):
 * server span → request id and access log → problem+json → metrics → span naming → /livez /readyz /metrics → request guards.
 * Routes are the caller's: a BFF mounts its routing map, a backend its router. The gateway's direct routes
 * (@portico/gateway proxy/direct-route.ts) run the same steps as plain functions for routes without edge functions:
 * a step added here belongs there too.
 */
import Koa from 'koa';
import type { EdgeConfig } from '../config';
import { problemMiddleware } from '../errors';
import { requestGuards } from '../guards';
import { healthRoutes, type Readiness } from '../health';
import { requestContext } from '../logging';
import { metricsMiddleware, type EdgeMetrics } from '../metrics';
import { serverSpanMiddleware, tracingMiddleware } from '../telemetry';
import type { EdgeLogger, EdgeState } from '../state';

/** What the shared stack needs, created once at start-up. */
export interface EdgeAppDeps {
  edge: EdgeConfig;
  logger: EdgeLogger;
  metrics: EdgeMetrics;
  readiness: Readiness;
}

/** Choices a service makes about the shared stack. */
export interface EdgeAppOptions {
  /**
   * When true the guards leave Content-Length to each route's own body limit, for services whose routes may stream
   * bodies larger than MAX_BODY_SIZE (docs/edge-defaults.md: 1 MiB "unless the route streams larger bodies").
   */
  bodyLimitPerRoute?: boolean;
}

/** A Koa app with the shared edge stack mounted; add routes with `app.use(...)`. */
export function createEdgeApp(deps: EdgeAppDeps, options: EdgeAppOptions = {}): Koa<EdgeState> {
  const app = new Koa<EdgeState>({ proxy: false });
  // Koa's own error logging would print stacks for errors problemMiddleware already answered and logged.
  app.silent = true;
  // Koa reports stream failures after the status line was sent; they belong in the log at debug, not on stderr.
  app.on('error', (err: Error) => deps.logger.debug({ err }, 'response stream failed'));
  app.use(serverSpanMiddleware());
  app.use(requestContext({ logger: deps.logger, trustedProxyHops: deps.edge.http.trustedProxyHops }));
  app.use(problemMiddleware({ logger: deps.logger }));
  app.use(metricsMiddleware(deps.metrics));
  app.use(tracingMiddleware());
  app.use(healthRoutes({ readiness: deps.readiness }));
  app.use(requestGuards(options.bodyLimitPerRoute ? { ...deps.edge.http, maxBodyBytes: Number.MAX_SAFE_INTEGER } : deps.edge.http));
  return app;
}
