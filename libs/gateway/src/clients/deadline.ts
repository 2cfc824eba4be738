/**
 * Deadline: the absolute time by which a request's answer must be built (docs/edge-defaults.md › Upstreams: 5 s by default),
 * shared by every try and composition branch, plus the client's "went away" signal. Timers live with whoever waits.
 */
import type { TraceContext } from '@portico/edge';
import { UpstreamAbort } from '../upstream-faults';
import type { CallSignal } from './upstream-types';

/** The route deadline when nothing else is configured, ms (docs/edge-defaults.md › Upstreams). */
export const DEFAULT_ROUTE_DEADLINE_MS = 5000;

/** An absolute epoch-ms deadline, optionally tied to the client's abort signal. */
export class Deadline {
  /**
   * @param at absolute epoch ms
   * @param clientSignal aborted when the client goes away (or a sibling required part failed)
   * @param trace the request's trace context (`ctx.state.trace`): calls made under this deadline join its trace
   */
  constructor(
    readonly at: number,
    readonly clientSignal?: CallSignal,
    private readonly now: () => number = Date.now,
    readonly trace?: TraceContext,
  ) {}

  /** A deadline `ms` from now. */
  static after(ms: number, clientSignal?: CallSignal, now: () => number = Date.now): Deadline {
    return new Deadline(now() + ms, clientSignal, now);
  }

  /** Ms left, never negative. */
  remaining(): number {
    return Math.max(0, this.at - this.now());
  }

  /** True once the deadline has passed or the client has gone. */
  get expired(): boolean {
    return this.remaining() === 0 || this.clientSignal?.aborted === true;
  }

  /** A deadline `marginMs` earlier, for a branch that must leave time to build the answer; same client signal and trace. */
  child(marginMs: number): Deadline {
    return new Deadline(Math.min(this.at, this.at - marginMs), this.clientSignal, this.now, this.trace);
  }

  /**
   * An AbortSignal that fires at the deadline (reason: UpstreamAbort 'deadline') or when the client goes
   * (reason: UpstreamAbort 'client'), for code that takes a signal. Its timer is unref'd.
   */
  signal(): AbortSignal {
    const controller = new AbortController();
    const budget = this.remaining();
    if (this.clientSignal?.aborted) {
      controller.abort(new UpstreamAbort('client'));
      return controller.signal;
    }
    if (budget === 0) {
      controller.abort(new UpstreamAbort('deadline', 0));
      return controller.signal;
    }
    const timer = setTimeout(() => controller.abort(new UpstreamAbort('deadline', budget)), budget);
    timer.unref();
    const onClient = () => {
      clearTimeout(timer);
      controller.abort(new UpstreamAbort('client'));
    };
    this.clientSignal?.addEventListener('abort', onClient, { once: true });
    controller.signal.addEventListener('abort', () => this.clientSignal?.removeEventListener('abort', onClient), { once: true });
    return controller.signal;
  }
}
