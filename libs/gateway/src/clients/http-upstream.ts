/**
 * HttpUpstream: one backend behind a keep-alive undici Pool, a bulkhead, a circuit breaker and a retry budget.
 * dispatch() resolves with a small answer read whole, or at response headers with a streamed body; reading (or
 * destroying) a streamed body is the caller's job and frees the bulkhead slot.
 */
import type { Dispatcher, Pool } from 'undici';
import { Readable } from 'node:stream';
import { UndiciPool, type EdgeLogger, type TraceContext, type UpstreamLabels, type UpstreamOutcome } from '@portico/edge';
import type { Upstream, UpstreamCall, UpstreamPolicy } from './upstream-types';
import { CircuitBreaker, type BreakerState } from './breaker';
import { Bulkhead } from './bulkhead';
import { RetryBudget, allowedRetries, backoffDelay, retryableError, retryableStatus, type RetrySettings } from './retry';
import { UpstreamAbort, bulkheadFault, circuitOpenFault, faultClass, upstreamFault } from '../upstream-faults';
import { UpstreamExchange, type UpstreamResponse } from './upstream-exchange';

/** Per-upstream call metrics, typed structurally so any EdgeMetrics-like object fits. */
export interface UpstreamMetrics {
  /** One observation per dispatch; EdgeMetrics implements it. */
  recordUpstream(labels: UpstreamLabels, durationMs: number): void;
}

/** The CLIENT span of one call; @portico/edge's ClientSpan fits. */
export interface UpstreamSpan {
  /** Adds the span's W3C trace context to the call's headers. */
  inject(headers: Record<string, string | string[]>): void;
  end(statusCode: number | undefined, failed: boolean): void;
}

/** Starts a span for one call, or returns undefined when the request is not traced. */
export type UpstreamSpanStarter = (name: string, attributes: Record<string, string | number>, parent?: TraceContext) => UpstreamSpan | undefined;

/** Collaborators of an upstream, created once at start-up. */
export interface HttpUpstreamDeps {
  logger: EdgeLogger;
  metrics?: UpstreamMetrics;
  /**
   * Span starter per origin (@portico/edge clientSpans; undefined when tracing is off): one CLIENT span per call,
   * retries included, with its traceparent sent.
   */
  clientSpans?: (origin: string) => UpstreamSpanStarter | undefined;
  now?: () => number;
  random?: () => number;
}

/** UpstreamPolicy with the optional sections filled in. */
export type ResolvedUpstreamPolicy = UpstreamPolicy & { retry: RetrySettings };

const OUTCOME_BY_CLASS: Record<string, UpstreamOutcome> = {
  timeout: 'timeout',
  deadline: 'timeout',
  unreachable: 'unreachable',
  'bad-response': 'bad_response',
  aborted: 'aborted',
};

/** An Upstream over HTTP/1.1 keep-alive (pipelining 1, so one slow answer never blocks another). */
export class HttpUpstream implements Upstream {
  private readonly pool: Pool;
  private readonly breaker: CircuitBreaker;
  private readonly bulkhead: Bulkhead;
  private readonly budget: RetryBudget;
  private readonly now: () => number;
  private readonly startSpan: UpstreamSpanStarter | undefined;

  constructor(
    readonly name: string,
    readonly origin: string,
    readonly policy: ResolvedUpstreamPolicy,
    private readonly deps: HttpUpstreamDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.startSpan = deps.clientSpans?.(origin);
    this.pool = new UndiciPool(origin, {
      connections: policy.connections,
      pipelining: 1,
      connect: { timeout: policy.connectTimeoutMs },
      // Off in undici: each try's UpstreamExchange bounds the wait for headers (per try, within the deadline) and a
      // streamed body's stalls itself. undici's timers cost more than they look: with headers, body and keep-alive
      // timeouts that differ, every request makes two new timer objects that live until undici's next 0.5 s tick,
      // so they all reach V8's old space; at 50 connections that tripled scavenge pauses (~2.8 ms against ~0.7 ms) and
      // forced mark-compacts every few seconds, the proxied route's p99 (docs/benchmarks.md, proxy-baselines).
      headersTimeout: 0,
      bodyTimeout: 0,
      // docs/edge-defaults.md › Paths and headers: idle sockets close before a Node upstream's 5 s keep-alive does; hints may not extend it.
      keepAliveTimeout: policy.keepAliveTimeoutMs,
      keepAliveMaxTimeout: policy.keepAliveTimeoutMs,
    });
    this.bulkhead = new Bulkhead(policy.maxConcurrent);
    this.budget = new RetryBudget(policy.retry, this.now);
    this.breaker = new CircuitBreaker(policy.breaker, this.now, (state) => deps.logger.warn({ upstream: name, breaker: state }, 'circuit breaker changed state'));
  }

  /** Breaker state for readiness and metrics. */
  get state(): BreakerState {
    return this.breaker.state;
  }

  /** Calls in flight now (bulkhead occupancy). */
  get inFlight(): number {
    return this.bulkhead.inFlight;
  }

  /** Sends the call through bulkhead → breaker → tries; see Upstream.dispatch. */
  async dispatch(call: UpstreamCall): Promise<UpstreamResponse> {
    const started = performance.now();
    let outcome: UpstreamOutcome = 'error';
    let statusCode: number | undefined;
    const span = this.startSpan?.(`${call.method} ${this.name}`, {
      'http.request.method': call.method,
      'url.path': pathOnly(call.path),
      'portico.upstream': this.name,
      'portico.operation': call.operation,
    }, call.trace);
    try {
      if (call.signal?.aborted) throw new UpstreamAbort('client');
      if (!this.bulkhead.tryAcquire()) {
        outcome = 'bulkhead_full';
        throw bulkheadFault(this.name, this.policy.maxConcurrent);
      }
      let held = true;
      const release = () => {
        if (held) this.bulkhead.release();
        held = false;
      };
      try {
        const ticket = this.breaker.acquire();
        if (ticket === undefined) {
          outcome = 'circuit_open';
          throw circuitOpenFault(this.name, this.breaker.retryAfterMs());
        }
        // The breaker's verdict on this call (inline: one async frame less on every call).
        let reached = false;
        let res: UpstreamResponse;
        try {
          res = await this.tries(call, span, () => (reached = true));
        } catch (err) {
          this.breaker.record(ticket, faultClass(err) === 'aborted' || !reached ? 'cancel' : 'failure');
          throw err;
        }
        // 5xx answers resolve for the caller to judge but count against the upstream; 4xx never do.
        this.breaker.record(ticket, res.statusCode >= 500 ? 'failure' : 'success');
        statusCode = res.statusCode;
        outcome = res.statusCode >= 500 ? 'server_error' : res.statusCode >= 400 ? 'client_error' : 'ok';
        // A streamed answer holds the slot until its body is consumed or destroyed: it is still a call in flight.
        if (res.buffered !== undefined) release();
        else res.body.once('end', release).once('close', release);
        return res;
      } catch (err) {
        release();
        throw err;
      }
    } catch (err) {
      const fault = upstreamFault(err, this.name);
      if (outcome === 'error') outcome = OUTCOME_BY_CLASS[faultClass(err)] ?? 'error';
      throw fault;
    } finally {
      this.deps.metrics?.recordUpstream({ upstream: this.name, operation: call.operation, outcome }, performance.now() - started);
      span?.end(statusCode, outcome !== 'ok' && outcome !== 'client_error');
    }
  }

  private async tries(call: UpstreamCall, span: UpstreamSpan | undefined, onAttempt: () => void): Promise<UpstreamResponse> {
    const streamed = call.body instanceof Readable;
    const retries = allowedRetries(call.method, call.retries, streamed, this.policy.retry.maxRetries);
    // The span adds traceparent to a copy; untraced calls send the caller's headers as they are.
    const headers: Record<string, string | string[]> = span ? { ...call.headers } : call.headers;
    span?.inject(headers);
    this.budget.recordCall();
    const budgetMs = Math.max(0, call.deadline - this.now());
    for (let attempt = 0; ; attempt++) {
      if (call.signal?.aborted) throw new UpstreamAbort('client');
      const remaining = call.deadline - this.now();
      if (remaining <= 0) throw new UpstreamAbort('deadline', budgetMs);
      const more = attempt < retries;
      try {
        onAttempt();
        const res = await this.tryOnce(call, headers, remaining, budgetMs);
        if (!more || !retryableStatus(res.statusCode) || !this.budget.tryRetry()) return res;
        res.dump().catch(() => {});
      } catch (err) {
        if (!more || !retryableError(err) || !this.budget.tryRetry()) throw err;
      }
      await this.backoff(attempt, call);
    }
  }

  private tryOnce(call: UpstreamCall, headers: Record<string, string | string[]>, remaining: number, budgetMs: number): Promise<UpstreamResponse> {
    // headersTimeoutMs 0: no per-try limit (undici's meaning), so only the route deadline bounds the wait.
    const cap = this.policy.headersTimeoutMs > 0 ? this.policy.headersTimeoutMs : Infinity;
    const perTry = Math.min(call.tryTimeoutMs ?? cap, cap);
    const headersWithinMs = Math.min(perTry, remaining);
    const signal = call.signal;
    const onClient = (): void => exchange.abort(new UpstreamAbort('client'));
    const exchange = new UpstreamExchange(
      {
        headersWithinMs,
        headersCutByDeadline: headersWithinMs < perTry,
        headersAtDeadline: headersWithinMs === remaining,
        deadline: call.deadline,
        budgetMs,
        bodyIdleMs: this.policy.bodyTimeoutMs,
        now: this.now,
        // A streamed upload may take longer to send than an answer may take to start: until its last byte is read only
        // the route deadline applies, and the per-try wait for the answer starts from there.
        upload: call.body instanceof Readable ? call.body : undefined,
      },
      this.policy.bufferBytes,
      // The client signal keeps aborting a streamed body until it is consumed (docs/edge-defaults.md: client gone → abort).
      () => signal?.removeEventListener('abort', onClient),
    );
    signal?.addEventListener('abort', onClient, { once: true });
    this.pool.dispatch(
      {
        origin: this.origin,
        method: call.method as Dispatcher.HttpMethod,
        path: call.path,
        headers,
        body: call.body ?? null,
      },
      exchange,
    );
    return exchange.promise;
  }

  private async backoff(attempt: number, call: UpstreamCall): Promise<void> {
    const delay = Math.min(backoffDelay(attempt, this.policy.retry, this.deps.random), Math.max(0, call.deadline - this.now()));
    if (delay <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new UpstreamAbort('client'));
      };
      const timer = setTimeout(() => {
        call.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      call.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Destroys the pool and every socket in it. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
