/**
 * GET/HEAD /livez and /readyz for orchestrators and load balancers (docs/edge-defaults.md "Lifecycle").
 * What counts as ready is Readiness' business; rendering the 503 problem is problem-middleware's.
 */
import type { Middleware } from 'koa';
import { EdgeError } from '../errors';
import type { EdgeContext, EdgeState } from '../state';
import type { Readiness } from './readiness';

/** Collaborators for healthRoutes. */
export interface HealthDeps {
  /** The process-wide readiness registry. */
  readiness: Readiness;
}

/** The liveness probe path: answers while the event loop runs. */
export const LIVENESS_PATH = '/livez';
/** The readiness probe path: answers 200 only when every check passes and the process is not draining. */
export const READINESS_PATH = '/readyz';

/** Koa middleware answering the probe routes; every other request passes through untouched. */
export function healthRoutes(deps: HealthDeps): Middleware<EdgeState> {
  // Every request passes through here: only a probe pays for an async function.
  return function health(ctx, next) {
    const probe = ctx.path === LIVENESS_PATH || ctx.path === READINESS_PATH;
    return probe && (ctx.method === 'GET' || ctx.method === 'HEAD') ? answerProbe(ctx, deps) : next();
  };
}

async function answerProbe(ctx: EdgeContext, deps: HealthDeps): Promise<void> {
  // Probe answers describe this instant; a cache in between would hide a failing instance.
  ctx.set('Cache-Control', 'no-store');
  if (ctx.path === LIVENESS_PATH) {
    // Liveness checks no dependency: a Redis outage must not make the orchestrator restart every replica.
    ctx.body = { status: 'ok' };
    return;
  }
  const report = await deps.readiness.check();
  if (report.ready) {
    ctx.body = { status: 'ready', checks: report.checks, info: report.info };
    return;
  }
  const failing = Object.keys(report.checks).filter((name) => !report.checks[name]);
  const detail = report.draining
    ? 'shutting down: finishing in-flight requests, not accepting new ones'
    : `failing readiness checks: ${failing.join(', ')}`;
  throw new EdgeError(report.draining ? 'DRAINING' : 'NOT_READY', {
    detail,
    headers: { 'Cache-Control': 'no-store' },
    extensions: { failing, checks: report.checks, info: report.info },
  });
}
