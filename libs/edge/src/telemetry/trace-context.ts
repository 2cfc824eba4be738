/**
 * How a request's trace context reaches the calls made on its behalf (TRACE_CONTEXT). Apart from sdk.ts so config/ and
 * instrument.ts need not load the SDK.
 *
 * - `explicit` (the default): Portico carries the request's context itself, on `ctx.state.trace` and from there on every
 *   Deadline, upstream call and rate-limit decision, and makes it active only around the synchronous start of each
 *   call (ExplicitContextManager). Code a team writes around another client passes it the same way:
 *   `runInTraceContext(ctx.state.trace, () => client.call(...))`.
 * - `async-local-storage`: OpenTelemetry's Node default; the active context follows every async continuation, so any
 *   code anywhere sees the request's span. On Node 20 it turns on promise hooks for the whole process: every promise and
 *   every await of every request pays for it, sampled or not (docs/benchmarks.md, edge-stack: with 10% of traces
 *   sampled the edge stack cost about as much as with every trace exported).
 */
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

export const TRACE_CONTEXT_MODES = ['explicit', 'async-local-storage'] as const;
export type TraceContextMode = (typeof TRACE_CONTEXT_MODES)[number];

export function isTraceContextMode(value: string): value is TraceContextMode {
  return (TRACE_CONTEXT_MODES as readonly string[]).includes(value);
}

/** The mode TRACE_CONTEXT names, trimmed (a blank one is unset), not yet checked: undefined when it names none. */
export function traceContextIn(env: { TRACE_CONTEXT?: string }): string | undefined {
  return env.TRACE_CONTEXT?.trim() || undefined;
}

/**
 * A context manager with no async tracking: `with(context, fn)` makes `context` active for fn's synchronous run and
 * restores the previous one when fn returns (a returned promise is not waited for). The same contract as the web SDK's
 * StackContextManager, for Node: what must survive an await is passed explicitly.
 */
export class ExplicitContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the bound function has a `this` of its own
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function bound(this: unknown, ...args: unknown[]) {
      return manager.with(context, fn, this, ...args);
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}
