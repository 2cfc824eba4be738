/** The Deadline of one Koa request: the route chain's `ctx.state.deadline` (or a default), tied to the client going away. */
import type { EdgeContext } from '@portico/edge';
import { Deadline, DEFAULT_ROUTE_DEADLINE_MS } from '../clients/deadline';
import { UpstreamAbort } from '../upstream-faults';

/** An AbortSignal that fires when the client disconnects before the response is complete. */
export function clientGoneSignal(ctx: EdgeContext): AbortSignal {
  const controller = new AbortController();
  const res = ctx.res;
  if (res.destroyed && !res.writableFinished) {
    controller.abort(new UpstreamAbort('client'));
    return controller.signal;
  }
  // A response 'close' before it finished means the socket went away (docs/edge-defaults.md: abort every upstream call).
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new UpstreamAbort('client'));
  });
  return controller.signal;
}

/** The request's deadline: `ctx.state.deadline` when the route chain set one, else now + `defaultMs` (5 s). */
export function requestDeadline(ctx: EdgeContext, defaultMs: number = DEFAULT_ROUTE_DEADLINE_MS, signal: AbortSignal = clientGoneSignal(ctx)): Deadline {
  const at = ctx.state.deadline ?? Date.now() + defaultMs;
  return new Deadline(at, signal);
}
