/** A rolling window of counters in fixed buckets, advanced lazily from a clock (no timers). Used by the breaker and the retry budget. */

/** Counts of two kinds of events (e.g. successes/failures, calls/retries) over the last `windowMs`. */
export class RollingWindow {
  private readonly bucketMs: number;
  private readonly epochs: number[];
  private readonly a: number[];
  private readonly b: number[];

  /** `buckets` slices of `windowMs / buckets` each; older slices fall out as time moves on. */
  constructor(
    readonly windowMs: number,
    readonly buckets: number = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, Math.floor(windowMs / buckets));
    this.epochs = new Array<number>(buckets).fill(-1);
    this.a = new Array<number>(buckets).fill(0);
    this.b = new Array<number>(buckets).fill(0);
  }

  private slot(): number {
    const epoch = Math.floor(this.now() / this.bucketMs);
    const i = epoch % this.buckets;
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.a[i] = 0;
      this.b[i] = 0;
    }
    return i;
  }

  /** Counts one event of the first kind. */
  addA(): void {
    const i = this.slot();
    this.a[i] = (this.a[i] ?? 0) + 1;
  }

  /** Counts one event of the second kind. */
  addB(): void {
    const i = this.slot();
    this.b[i] = (this.b[i] ?? 0) + 1;
  }

  /** Totals of both kinds over the live buckets. */
  totals(): { a: number; b: number } {
    const current = Math.floor(this.now() / this.bucketMs);
    let a = 0;
    let b = 0;
    for (let i = 0; i < this.buckets; i++) {
      const epoch = this.epochs[i] ?? -1;
      if (epoch > current - this.buckets) {
        a += this.a[i] ?? 0;
        b += this.b[i] ?? 0;
      }
    }
    return { a, b };
  }

  /** Forgets everything (a breaker closing starts a fresh window). */
  reset(): void {
    this.epochs.fill(-1);
    this.a.fill(0);
    this.b.fill(0);
  }
}
