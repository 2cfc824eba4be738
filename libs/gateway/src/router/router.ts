/**
 * The router: normalises the path once, matches method + path against the compiled map in force (404, or 405 with
 * Allow), sets ctx.state.route and runs that route's prebuilt chain. Compiling maps is compile-routes.ts's job.
 */
import type { Middleware } from 'koa';
import { EdgeError, type EdgeState } from '@portico/edge';
import { normalisePath } from '../routing-map/normalise-path';
import type { CompiledRoutingMap } from './compile-routes';

/** The router middleware plus the one reference to the map in force. */
export interface Router {
  /** Innermost app middleware; answers every request that reaches it. */
  readonly middleware: Middleware<EdgeState>;
  /** Installs a new map atomically; requests already routed finish on the map they started with. */
  swap(map: CompiledRoutingMap): void;
  /** The map in force. */
  current(): CompiledRoutingMap;
}

/** Creates a router serving `initial` until the next swap. */
export function createRouter(initial: CompiledRoutingMap): Router {
  let inForce = initial;

  async function router(ctx: Parameters<Middleware<EdgeState>>[0]): Promise<void> {
    // Captured once: a reload during this request does not change which chain serves it.
    const map = inForce;
    // The one normalised path: routing, auth, rate-limit and cache keys and forwarding all read ctx.path from here on.
    const path = normalisePath(ctx.path);
    if (path !== ctx.path) ctx.path = path;
    const match = map.table.match(ctx.method, path);
    if (match.kind === 'not-found') throw new EdgeError('NOT_FOUND', { detail: 'No route matches this path' });
    if (match.kind === 'method-not-allowed') {
      throw new EdgeError('METHOD_NOT_ALLOWED', { detail: `${ctx.method} is not allowed here`, headers: { Allow: match.allow.join(', ') } });
    }
    ctx.state.route = { id: match.value.id, template: match.value.template };
    ctx.state.params = match.params;
    await match.value.chain(ctx);
  }

  return {
    middleware: router,
    swap(map) {
      inForce = map;
    },
    current: () => inForce,
  };
}
