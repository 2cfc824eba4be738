/** Bulkhead: caps concurrent calls to one upstream so a slow backend cannot take every socket and all memory (docs/edge-defaults.md › Upstreams). Refusal is the caller's to map. */

/** A counting semaphore without a queue: a call either gets a slot now or is refused. */
export class Bulkhead {
  private active = 0;

  constructor(readonly maxConcurrent: number) {}

  /** Calls in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Takes a slot; false when all are in use (queueing would only move the wait past the deadline). */
  tryAcquire(): boolean {
    if (this.active >= this.maxConcurrent) return false;
    this.active++;
    return true;
  }

  /** Gives a slot back; call exactly once per successful tryAcquire. */
  release(): void {
    if (this.active > 0) this.active--;
  }
}
