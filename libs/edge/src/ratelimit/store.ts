/** The rate-limit store contract shared by the Redis and in-process stores. Choosing limits and keys, and what to do on failure, is rate-limit.ts's job. */

/** The outcome of one rate-limit check. */
export interface RateLimitDecision {
  /** True when the request is admitted (and was counted). */
  allowed: boolean;
  /** The limit the decision was made against. */
  limit: number;
  /** Requests still admitted in the current window after this one. */
  remaining: number;
  /** Milliseconds until the current window ends (rejected: until a request would be admitted). */
  resetMs: number;
  /** Milliseconds until a retry can succeed; 0 when allowed. */
  retryAfterMs: number;
}

/** Decides and counts requests per key; implementations must be atomic per key. */
export interface RateLimitStore {
  /** Admits and counts `cost` (default 1) against `key`'s `limit` per `windowMs`, or rejects without counting. */
  decide(key: string, limit: number, windowMs: number, cost?: number): Promise<RateLimitDecision>;
}

/** Why a store could not decide: the middleware fails open or closed on it. */
export class RateLimitStoreError extends Error {
  /** `timeout`: no answer in time; `unavailable`: not connected or the command failed. */
  readonly reason: 'timeout' | 'unavailable';

  constructor(reason: 'timeout' | 'unavailable', message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RateLimitStoreError';
    this.reason = reason;
  }
}

/** Rejects arguments no window can satisfy, before any store work. */
export function checkDecideArguments(limit: number, windowMs: number, cost: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError(`rate-limit window must be a positive number of ms, got ${windowMs}`);
  if (!Number.isInteger(cost) || cost < 1 || cost > limit) throw new RangeError(`rate-limit cost must be an integer in 1..${limit}, got ${cost}`);
}
