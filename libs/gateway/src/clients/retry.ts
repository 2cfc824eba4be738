/**
 * Retry rules for upstream calls (docs/edge-defaults.md › Upstreams): at most 2 retries, only for idempotent methods, only on
 * connect errors, per-try timeouts and 502/503/504, with full-jitter backoff and a per-upstream retry budget. Never on 429.
 */
import { RollingWindow } from './rolling-window';
import { faultClass } from '../upstream-faults';

/** Retry settings of one upstream (UpstreamPolicy.retry). */
export interface RetrySettings {
  /** Hard cap on retries per call (default 2). */
  maxRetries: number;
  /** Retries allowed as a share of calls in the window (default 0.2). */
  budgetRatio: number;
  /** Retries always allowed per window, so a quiet upstream can still retry (default 10). */
  budgetMinimum: number;
  /** Budget window, ms (default 10000). */
  budgetWindowMs: number;
  /** First backoff ceiling, ms (default 25); doubles per attempt. */
  baseDelayMs: number;
  /** Largest backoff ceiling, ms (default 250). */
  maxDelayMs: number;
}

// RFC 9110 §9.2.2: GET, HEAD, OPTIONS are safe and idempotent; PUT and DELETE are idempotent only if the route says so.
const ALWAYS_IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const DECLARABLE = new Set(['PUT', 'DELETE']);

/** Retries a call may have: 0 for POST/PATCH and streamed bodies, the requested number (capped) otherwise. */
export function allowedRetries(method: string, requested: number, streamedBody: boolean, maxRetries: number): number {
  if (streamedBody || requested <= 0) return 0;
  const m = method.toUpperCase();
  if (!ALWAYS_IDEMPOTENT.has(m) && !DECLARABLE.has(m)) return 0;
  return Math.min(requested, maxRetries);
}

/** True for the upstream statuses worth another try: 502, 503, 504 (never 429 or 500). */
export function retryableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/** True for failures worth another try: the connection could not be made or broke, or the try timed out. */
export function retryableError(err: unknown): boolean {
  const cls = faultClass(err);
  return cls === 'unreachable' || cls === 'broken' || cls === 'timeout';
}

/** Full-jitter backoff (uniform in [0, min(max, base·2^attempt)]), so retrying clients do not synchronise. */
export function backoffDelay(attempt: number, settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Per-upstream retry budget: retries stay under `budgetRatio` of calls (plus a small floor) in a rolling window. */
export class RetryBudget {
  private readonly window: RollingWindow;

  constructor(
    private readonly settings: Pick<RetrySettings, 'budgetRatio' | 'budgetMinimum' | 'budgetWindowMs'>,
    now: () => number = Date.now,
  ) {
    this.window = new RollingWindow(settings.budgetWindowMs, 10, now);
  }

  /** Counts one first try. */
  recordCall(): void {
    this.window.addA();
  }

  /** Takes one retry from the budget; false when retries would exceed the budget. */
  tryRetry(): boolean {
    const { a: calls, b: retries } = this.window.totals();
    if (retries >= this.settings.budgetMinimum + this.settings.budgetRatio * calls) return false;
    this.window.addB();
    return true;
  }
}
