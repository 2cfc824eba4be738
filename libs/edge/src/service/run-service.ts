/**
 * Entry points for a Portico service built from a router: startService (tests, embedding) and runService (main.ts:
 * prints configuration problems one per line and exits 1, installs SIGTERM/SIGINT handling).
 */
import type Router from '@koa/router';
import type Koa from 'koa';
import type { z } from 'zod';
import { ConfigError, formatConfigError, type LoadConfigOptions } from '../config';
import type { EdgeState } from '../state';
import { createEdgeApp } from './edge-app';
import { createEdgeRuntime, type EdgeRuntime } from './edge-runtime';
import { releaseStartupMemory } from './release-startup-memory';
import { serve, type Serving } from './serve';

/** What a service contributes on top of the shared stack: its routes. */
export interface ServiceDefinition {
  router: Router<EdgeState>;
}

/** A started service. */
export interface RunningService extends Serving {
  app: Koa<EdgeState>;
  runtime: EdgeRuntime<unknown>;
  /** The event bus, for publishing and for tests that watch events. */
  bus: EdgeRuntime<unknown>['bus'];
}

/** Builds the service's routes from the runtime (config, logger, bus, shutdown hooks). */
export type BuildService<Extra> = (runtime: EdgeRuntime<Extra>) => ServiceDefinition | Promise<ServiceDefinition>;

/** Validates config, builds the service and listens; throws ConfigError on bad config. */
export async function startService<Extra extends z.ZodRawShape = Record<never, never>>(
  options: LoadConfigOptions<Extra>,
  build: BuildService<z.output<z.ZodObject<Extra>>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const runtime = createEdgeRuntime(options, env);
  const { router } = await build(runtime);
  // Metrics, spans and the access log name a request by its route template, never its raw path: each route's own
  // stack starts by recording the layer that matched (a router-level use() would see its own catch-all path instead).
  for (const layer of router.stack) {
    if (!layer.methods.length) continue;
    const route = { id: `${layer.methods.filter((m) => m !== 'HEAD').join(',')} ${layer.path}`, template: String(layer.path) };
    layer.stack.unshift(async function routeInfo(ctx, next) {
      ctx.state.route = route;
      await next();
    });
  }
  const app = createEdgeApp(runtime);
  app.use(router.routes());
  app.use(router.allowedMethods());
  const serving = await serve(app, runtime as EdgeRuntime<unknown>);
  return { ...serving, app, runtime: runtime as EdgeRuntime<unknown>, bus: runtime.bus };
}

/** main.ts entry: starts the service, or prints what is wrong with its configuration and exits 1 without a stack. */
export async function runService<Extra extends z.ZodRawShape = Record<never, never>>(
  options: LoadConfigOptions<Extra>,
  build: BuildService<z.output<z.ZodObject<Extra>>>,
): Promise<void> {
  try {
    const service = await startService(options, build);
    service.lifecycle.installSignalHandlers();
    // Registered in the turn listen resolved in, before any request is read: readiness fails until the collection ran.
    await releaseStartupMemory({ readiness: service.runtime.readiness, logger: service.runtime.logger });
  } catch (err) {
    exitOnStartupError(options.serviceName, err);
  }
}

/** Prints a start-up failure (config problems one per line, anything else as one line) and exits 1. */
export function exitOnStartupError(serviceName: string, err: unknown): never {
  if (err instanceof ConfigError) process.stderr.write(formatConfigError(serviceName, err));
  else process.stderr.write(`${serviceName}: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
}
