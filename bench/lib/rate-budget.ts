/**
 * Keeps a suite inside the rate limits of routes it loads (limits live in routes.yaml and no environment variable raises
 * them): a model of the edge's sliding-window counter per principal, fed with every request sent, says when a batch of
 * `n` more fits, so a bounded run never meets a 429. Deciding requests is the edge's job; this only predicts it.
 */
import { decideWindow, type WindowState } from '../../libs/edge/src/ratelimit/sliding-window';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One route's limit as routes.yaml states it, for a set of principals that each have their own count. */
export class RateBudget {
  private readonly states = new Map<string, WindowState | undefined>();
  /** Total time spent waiting for room, ms. */
  waitedMs = 0;

  /** `headroom` requests are kept unused, against rounding and requests the model did not see. */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly principals: readonly string[],
    private readonly headroom = 3,
  ) {
    for (const p of principals) this.states.set(p, undefined);
  }

  /** Adds `n` admitted requests of `principal`, all counted at `atMs` (the end of the batch, which never under-counts). */
  record(principal: string, n: number, atMs = Date.now()): void {
    let state = this.states.get(principal);
    for (let i = 0; i < n; i += 1) {
      const verdict = decideWindow(state, atMs, this.limit, this.windowMs, 1);
      // The edge counts only admitted requests; one it would refuse (a 429) changes nothing.
      if (verdict.next) state = verdict.next;
    }
    this.states.set(principal, state);
  }

  /** True when `n` more requests of `principal` at `atMs` would all be admitted, keeping the headroom. */
  fits(principal: string, n: number, atMs: number): boolean {
    const verdict = decideWindow(this.states.get(principal), atMs, this.limit, this.windowMs, n + this.headroom);
    return verdict.allowed;
  }

  /** Waits (in 250 ms steps, at most two windows) until some principal has room for `n`; returns that principal. */
  async acquire(n: number): Promise<string> {
    if (n + this.headroom > this.limit) throw new Error(`a batch of ${n} cannot fit a limit of ${this.limit} per ${this.windowMs / 1000} s`);
    const start = Date.now();
    for (let at = start; at <= start + 2 * this.windowMs + 1_000; at += 250) {
      const principal = this.principals.find((p) => this.fits(p, n, at));
      if (principal === undefined) continue;
      const wait = at - Date.now();
      if (wait > 0) await sleep(wait);
      this.waitedMs += Date.now() - start;
      return principal;
    }
    throw new Error(`no principal has room for ${n} requests within two windows`);
  }
}
