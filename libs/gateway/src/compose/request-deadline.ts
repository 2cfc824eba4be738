/** The Deadline of one Koa request: the route chain's `ctx.state.deadline` (or a default), tied to the client going away. */
import type { ServerResponse } from 'node:http';
import type { EdgeContext, TraceContext } from '@portico/edge';
import { Deadline, DEFAULT_ROUTE_DEADLINE_MS } from '../clients/deadline';
import type { CallSignal } from '../clients/upstream-types';
import { ClientGone } from '../clients/client-gone';
import { UpstreamAbort } from '../upstream-faults';

/** An AbortController aborted (reason: UpstreamAbort 'client') when the client disconnects before the response is complete. */
function clientGoneController(res: ServerResponse): AbortController {
  const controller = new AbortController();
  if (res.destroyed && !res.writableFinished) {
    controller.abort(new UpstreamAbort('client'));
    return controller;
  }
  // A response 'close' before it finished means the socket went away (docs/edge-defaults.md: abort every upstream call).
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new UpstreamAbort('client'));
  });
  return controller;
}

/** An AbortSignal that fires when the client disconnects before the response is complete. */
export function clientGoneSignal(ctx: EdgeContext): AbortSignal {
  return clientGoneController(ctx.res).signal;
}

/** The request's deadline: `ctx.state.deadline` when the route chain set one, else now + `defaultMs` (5 s). */
export function requestDeadline(ctx: EdgeContext, defaultMs: number = DEFAULT_ROUTE_DEADLINE_MS, signal: CallSignal = new ClientGone(ctx.res)): Deadline {
  const at = ctx.state.deadline ?? Date.now() + defaultMs;
  return new Deadline(at, signal, Date.now, ctx.state.trace);
}

/** The deadline shared by the branches of one composed request, and the one switch that stops them all. */
export interface BranchDeadline {
  /** The request's deadline less the margin, its signal aborted when the client goes away or cancel() is called. */
  deadline: Deadline;
  /** Aborts every branch call still running: a required part failed, so their answers are lost. */
  cancel(): void;
}

/**
 * The branches' deadline: requestDeadline less `marginMs` (time left to build the answer), with one signal for both
 * reasons to stop. Not AbortSignal.any([client, siblings]): that costs a second controller and a composite signal tied
 * to its sources by WeakRefs, which V8's young-generation GC treats as strong, so under load every composed request's
 * signals reached old space and forced mark-compacts (docs/benchmarks.md, portico-composition). Nor an
 * AbortController: every call of every branch adds and removes a listener, which an EventTarget makes costly.
 */
export function branchDeadline(ctx: EdgeContext, marginMs: number, defaultMs: number = DEFAULT_ROUTE_DEADLINE_MS): BranchDeadline {
  return branchDeadlineOf(ctx.res, ctx.state.deadline ?? Date.now() + defaultMs, marginMs, ctx.state.trace);
}

/**
 * branchDeadline for a request served without a Koa context: the client's response, the route deadline (ms since the
 * epoch) and the request's trace context, if traced.
 */
export function branchDeadlineOf(res: ServerResponse, at: number, marginMs: number, trace?: TraceContext): BranchDeadline {
  const gone = new ClientGone(res);
  return { deadline: new Deadline(at, gone, Date.now, trace).child(marginMs), cancel: () => gone.abort() };
}
