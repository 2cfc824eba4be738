/**
 * One try of an upstream call on undici's dispatch API: the answer of a small body with a declared length is read
 * whole before the call resolves (as nginx's proxy_buffering does; UpstreamPolicy.bufferBytes), anything else resolves
 * at response headers with a stream that applies backpressure to the socket.
 *
 * Why not `pool.request()`: it makes a body stream, an AbortSignal listener and, once Koa pipes that stream, an
 * AbortController and a DOMException per answer: about a quarter of a proxied route's CPU (docs/benchmarks.md,
 * proxy-baselines). A buffered answer needs none of it, and Koa writes it with the status line in one `end()`.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { UpstreamAbort } from '../upstream-faults';

/** Response headers as undici parses them: lower-case names, repeated ones as arrays. */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/** Bodies above this are dropped by dump() rather than read to the end (the socket is closed instead of reused). */
const DUMP_LIMIT_BYTES = 128 * 1024;

/** The body of a streamed answer: a Readable fed by the exchange, with the reading helpers callers need. */
export class UpstreamBody extends Readable {
  private controller: Dispatcher.DispatchController | undefined;
  private onRead: (() => void) | undefined;

  /**
   * @internal The exchange hands over its controller so reads resume a paused socket and destroy() aborts it, and
   * learns of every read (a reader asking for more restarts the body's idle clock).
   */
  attach(controller: Dispatcher.DispatchController, onRead: () => void): void {
    this.controller = controller;
    this.onRead = onRead;
  }

  override _read(): void {
    this.controller?.resume();
    this.onRead?.();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // Before the end, destroying the body abandons the answer: abort so the socket is not reused mid-body.
    if (!this.readableEnded) this.controller?.abort(err ?? new UpstreamAbort('client'));
    callback(err);
  }

  /** The whole body as text (UTF-8). */
  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The whole body parsed as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  /** Reads and drops the rest of a small body so the socket can be reused; a larger one is destroyed instead. */
  async dump(): Promise<void> {
    if (this.destroyed || this.readableEnded) return;
    let size = 0;
    try {
      for await (const chunk of this) {
        size += (chunk as Buffer).length;
        if (size > DUMP_LIMIT_BYTES) break;
      }
    } catch {
      // A failing body is being discarded anyway.
    }
    if (!this.readableEnded) this.destroy();
  }
}

/** An upstream's answer: status, headers, and the body either complete (`buffered`) or as a stream (`body`). */
export class UpstreamResponse {
  private stream: UpstreamBody | Readable | undefined;
  private readonly complete: Buffer | undefined;

  constructor(
    readonly statusCode: number,
    readonly headers: UpstreamHeaders,
    body: UpstreamBody | Buffer,
  ) {
    if (Buffer.isBuffer(body)) this.complete = body;
    else this.stream = body;
  }

  /** The whole body when it was read before the call resolved; undefined for a streamed answer. */
  get buffered(): Buffer | undefined {
    return this.complete;
  }

  /** The body as a stream; for a buffered answer a one-chunk stream made on first use. */
  get body(): UpstreamBody | Readable {
    this.stream ??= Readable.from(this.complete ? [this.complete] : []);
    return this.stream;
  }

  /** The whole body as text. */
  text(): Promise<string> {
    if (this.complete) return Promise.resolve(this.complete.toString('utf8'));
    return (this.stream as UpstreamBody).text();
  }

  /** The whole body parsed as JSON. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  /** Drops the body (reading a small rest so the socket is reused). */
  dump(): Promise<void> {
    if (this.complete) return Promise.resolve();
    const stream = this.stream as UpstreamBody | Readable;
    if (stream instanceof UpstreamBody) return stream.dump();
    stream.destroy();
    return Promise.resolve();
  }

  /** Abandons the body (aborting a streamed one mid-way). */
  destroy(err?: Error): void {
    if (this.stream && !this.stream.destroyed) this.stream.destroy(err);
  }
}

/** How long a try may wait, and for what: plain values, so a try allocates no closures for timers that rarely fire. */
export interface ExchangeTimers {
  /** ms until the answer's headers must arrive (the per-try wait, capped by the deadline). */
  headersWithinMs: number;
  /** True when that wait was cut short by the route deadline (a late answer is then "deadline", not "try-timeout"). */
  headersCutByDeadline: boolean;
  /** True when the headers wait already ends at the route deadline, so the same timer also bounds a buffered body. */
  headersAtDeadline: boolean;
  /** The route deadline (ms on the `now` clock): a buffered body must be complete by then. */
  deadline: number;
  /** The call's whole budget in ms, for the deadline error's message. */
  budgetMs: number;
  /**
   * ms a streamed answer's body may stall between chunks while its reader keeps reading (UpstreamPolicy.bodyTimeoutMs;
   * 0: no limit, as undici's bodyTimeout 0). Kept here rather than as undici's bodyTimeout: see HttpUpstream's pool options.
   */
  bodyIdleMs: number;
  now: () => number;
  /** When set, the headers wait starts only once this stream (the request body being uploaded) has ended. */
  upload?: Readable;
}

type TimerKind = 'headers' | 'deadline' | 'body';

/**
 * The dispatch handler of one try. Settles `promise` once: with an UpstreamResponse (buffered at the end of the body,
 * streamed at the headers), or with the error. abort() may be called at any time, before the request is even sent.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  readonly promise: Promise<UpstreamResponse>;
  private resolve!: (res: UpstreamResponse) => void;
  private reject!: (err: unknown) => void;
  private settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private pendingAbort: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAtDeadline = false;
  private timerKind: TimerKind = 'deadline';
  private statusCode = 0;
  private headers: UpstreamHeaders = {};
  private chunks: Buffer[] | undefined;
  private stream: UpstreamBody | undefined;

  constructor(
    private readonly timers: ExchangeTimers,
    private readonly bufferLimit: number,
    private readonly onFinished: () => void,
  ) {
    this.promise = new Promise<UpstreamResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (timers.upload) {
      // The route deadline alone bounds the upload; the wait for the answer starts when its last byte is read.
      this.arm(this.deadlineFromNow(), 'deadline', true);
      timers.upload.once('end', () => {
        const left = this.deadlineFromNow();
        if (!this.settled) this.arm(Math.min(timers.headersWithinMs, left), 'headers', left <= timers.headersWithinMs);
      });
    } else {
      this.arm(timers.headersWithinMs, 'headers', timers.headersAtDeadline);
    }
  }

  /** Gives up on this try: rejects now if unsettled, aborts the request (or the streamed body) with `reason`. */
  abort(reason: Error): void {
    if (this.stream) {
      if (!this.stream.readableEnded && !this.stream.destroyed) this.stream.destroy(reason);
      return;
    }
    this.fail(reason);
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[]>): void {
    if (this.settled) return;
    this.statusCode = statusCode;
    this.headers = headers;
    const declared = Number(headers['content-length']);
    if (headers['content-length'] !== undefined && declared <= this.bufferLimit) {
      this.chunks = [];
      // The headers came in time; the rest of a buffered body must arrive before the route deadline (usually the
      // timer already running: a try's wait is the time left to the deadline unless a shorter per-try timeout is set).
      if (this.timerAtDeadline) this.timerKind = 'deadline';
      else this.arm(this.deadlineFromNow(), 'deadline', true);
      return;
    }
    const stream = new UpstreamBody();
    stream.attach(controller, () => this.timer?.refresh());
    stream.once('close', () => {
      this.clearTimer();
      this.onFinished();
    });
    this.stream = stream;
    this.settled = true;
    if (this.timers.bodyIdleMs > 0) this.arm(this.timers.bodyIdleMs, 'body', false);
    else this.clearTimer();
    this.resolve(new UpstreamResponse(statusCode, headers, stream));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.chunks) this.chunks.push(chunk);
    else if (this.stream) {
      this.timer?.refresh();
      if (!this.stream.push(chunk)) controller.pause();
    }
  }

  onResponseEnd(): void {
    this.clearTimer();
    if (this.stream) {
      this.stream.push(null);
      return;
    }
    if (this.settled) return;
    const chunks = this.chunks ?? [];
    this.settled = true;
    this.onFinished();
    this.resolve(new UpstreamResponse(this.statusCode, this.headers, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.clearTimer();
    if (this.stream) {
      if (!this.stream.destroyed) this.stream.destroy(err);
      return;
    }
    this.fail(err);
  }

  private fail(err: Error): void {
    this.clearTimer();
    if (this.settled) return;
    this.settled = true;
    this.onFinished();
    this.reject(err);
  }

  private arm(ms: number, kind: TimerKind, atDeadline: boolean): void {
    this.clearTimer();
    this.timerAtDeadline = atDeadline;
    this.timerKind = kind;
    // The reason is built only when the timer fires: an Error captures a stack, and most tries never time out.
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, ms));
  }

  private onTimer(): void {
    // A paused body waits for its reader, not for the upstream: its idle clock starts again (as undici's does).
    if (this.timerKind === 'body' && this.controller?.paused) this.timer?.refresh();
    else this.abort(this.timerReason());
  }

  private deadlineFromNow(): number {
    return this.timers.deadline - this.timers.now();
  }

  private timerReason(): UpstreamAbort {
    const { headersCutByDeadline, headersWithinMs, budgetMs, bodyIdleMs } = this.timers;
    if (this.timerKind === 'body') return new UpstreamAbort('body-timeout', bodyIdleMs);
    if (this.timerKind === 'headers' && !headersCutByDeadline) return new UpstreamAbort('try-timeout', headersWithinMs);
    return new UpstreamAbort('deadline', budgetMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
