/**
 * One timer for many Redis commands that share one timeout, instead of a setTimeout/clearTimeout pair each (ioredis's
 * commandTimeout). Every entry gets the same timeout, so deadlines come in arrival order: a FIFO list whose head is
 * always the next to expire, and one timer armed for the head. Entries that finished are dropped when the sweep reaches
 * them; each still expires at its own deadline (plus timer jitter), as with a timer of its own.
 *
 * The sweep runs as an immediate queued by the timer, i.e. after the poll phase of the turn the timer fired in. Node runs
 * due timers at the start of a turn, before the poll that reads sockets: when the process itself was late (a long task,
 * a GC pause, a descheduled VM), a timer would fail a command whose reply was already waiting on the socket. Swept after
 * the poll, every reply that arrived before the deadline has been read, and its entry settled, first.
 */

/** An entry of a DeadlineQueue: the queue sets `deadline` and `next`; its owner sets `done` once it settled it. */
export interface Deadlined {
  deadline: number;
  done: boolean;
  next: this | undefined;
}

export class DeadlineQueue<T extends Deadlined> {
  private head: T | undefined;
  private tail: T | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly sweep = (): void => this.expireDue();
  private readonly afterPoll = (): void => {
    setImmediate(this.sweep);
  };

  /** `expire` is called once for each entry still not done when its deadline has passed. */
  constructor(
    private readonly timeoutMs: number,
    private readonly expire: (entry: T) => void,
  ) {}

  add(entry: T): void {
    // Entries that finished leave from the head now rather than at its deadline: an answered command is then garbage
    // within a turn or two and dies young, instead of living out the whole timeout into V8's old generation.
    let head = this.head;
    while (head?.done) head = head.next;
    this.head = head;
    if (!head) this.tail = undefined;
    entry.deadline = performance.now() + this.timeoutMs;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.timer) this.arm(this.timeoutMs);
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    let entry = this.head;
    while (entry && (entry.done || entry.deadline <= now)) {
      if (!entry.done) this.expire(entry);
      entry = entry.next;
    }
    this.head = entry;
    if (!entry) this.tail = undefined;
    else this.arm(entry.deadline - now);
  }

  private arm(ms: number): void {
    // Rounded up: a timer never fires early, so the head is due when it fires.
    this.timer = setTimeout(this.afterPoll, Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }
}
