/**
 * GrpcUpstream: one gRPC backend over one long-lived grpc-js channel, behind the same bulkhead, circuit breaker and
 * retry budget as HTTP upstreams, with the request's deadline as the gRPC deadline and a CLIENT span per call.
 * What a status means at the edge is grpc-faults.ts's table; building requests is the route's or the client's job.
 */
import { Client, Metadata, connectivityState, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { EdgeError, injectTraceContext, withClientSpan, type EdgeLogger, type TraceContext, type UpstreamOutcome } from '@portico/edge';
import { CircuitBreaker, type BreakerOutcome, type BreakerState, type BreakerTicket } from '../clients/breaker';
import { Bulkhead } from '../clients/bulkhead';
import { RetryBudget, backoffDelay } from '../clients/retry';
import type { UpstreamMetrics } from '../clients/http-upstream';
import { UpstreamAbort, bulkheadFault, circuitOpenFault, faultClass, serviceLabel } from '../upstream-faults';
import { grpcFault, grpcFaultRow, isGrpcError } from '../grpc-faults';
import type { CallSignal } from '../clients/upstream-types';
import type { GrpcMethod } from './proto-registry';
import { channelOptions, type GrpcUpstreamPolicy } from './grpc-policy';

/** One unary call. */
export interface GrpcCall {
  method: GrpcMethod;
  /** The request message as a plain object (PROTO_LOADER_OPTIONS convention), already checked against its type. */
  request: object;
  /** Absolute epoch-ms deadline shared by every try; sent to the backend as the gRPC deadline. */
  deadline: number;
  /** Aborted when the client goes away: the call is cancelled. */
  signal?: CallSignal;
  /** Metadata every try carries (x-request-id, principal headers); trace context is added per call. */
  metadata: Readonly<Record<string, string>>;
  /** Retries allowed; only UNAVAILABLE is retried, and only for methods the caller knows are idempotent reads. */
  retries: number;
  /** Metrics and span label: the route id or client operation. */
  operation: string;
  /** Per-try limit, ms, when shorter than the policy's callTimeoutMs. */
  tryTimeoutMs?: number;
  /** The request's trace context (`ctx.state.trace`, or Deadline.trace): the call's CLIENT span joins its trace. */
  trace?: TraceContext;
}

/** Collaborators of a gRPC upstream, created once at start-up. */
export interface GrpcUpstreamDeps {
  logger: EdgeLogger;
  metrics?: UpstreamMetrics;
  now?: () => number;
  random?: () => number;
}

const OUTCOME_BY_CLASS: Record<string, UpstreamOutcome> = { timeout: 'timeout', deadline: 'timeout', unreachable: 'unreachable', 'bad-response': 'bad_response', aborted: 'aborted' };

function outcomeOf(err: unknown): UpstreamOutcome {
  if (isGrpcError(err)) return grpcFaultRow(err.code).outcome;
  return OUTCOME_BY_CLASS[faultClass(err)] ?? 'error';
}

function breakerVerdict(err: unknown): BreakerOutcome {
  if (isGrpcError(err)) return grpcFaultRow(err.code).breaker;
  return faultClass(err) === 'aborted' ? 'cancel' : 'failure';
}

/** A gRPC backend reached over one channel (HTTP/2, multiplexed), opened at start-up and reused by every call. */
export class GrpcUpstream {
  private readonly client: Client;
  private readonly breaker: CircuitBreaker;
  private readonly bulkhead: Bulkhead;
  private readonly budget: RetryBudget;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    readonly address: string,
    readonly policy: GrpcUpstreamPolicy,
    private readonly deps: GrpcUpstreamDeps,
  ) {
    this.now = deps.now ?? Date.now;
    // Inside the cluster, like the HTTP upstreams: plaintext HTTP/2. TLS would be a credentials choice here.
    this.client = new Client(address, credentials.createInsecure(), channelOptions(policy));
    this.bulkhead = new Bulkhead(policy.maxConcurrent);
    this.budget = new RetryBudget(policy.retry, this.now);
    this.breaker = new CircuitBreaker(policy.breaker, this.now, (state) => deps.logger.warn({ upstream: name, breaker: state }, 'circuit breaker changed state'));
    // Connect now, so the first request does not pay for the handshake.
    this.client.getChannel().getConnectivityState(true);
  }

  /** Breaker state for readiness and metrics. */
  get state(): BreakerState {
    return this.breaker.state;
  }

  /** The channel's connectivity (IDLE, CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN), for diagnostics. */
  get connectivity(): string {
    return connectivityState[this.client.getChannel().getConnectivityState(false)] ?? 'UNKNOWN';
  }

  /** Calls a unary method through bulkhead → breaker → tries; resolves with the decoded response, rejects with a mapped EdgeError. */
  async call(call: GrpcCall): Promise<unknown> {
    const started = performance.now();
    let outcome: UpstreamOutcome = 'error';
    try {
      if (call.signal?.aborted) throw new UpstreamAbort('client');
      const payload = this.encode(call);
      if (!this.bulkhead.tryAcquire()) {
        outcome = 'bulkhead_full';
        throw bulkheadFault(this.name, this.policy.maxConcurrent);
      }
      try {
        const ticket = this.breaker.acquire();
        if (ticket === undefined) {
          outcome = 'circuit_open';
          throw circuitOpenFault(this.name, this.breaker.retryAfterMs());
        }
        const value = await this.withBreaker(call, payload, ticket);
        outcome = 'ok';
        return value;
      } finally {
        this.bulkhead.release();
      }
    } catch (err) {
      if (outcome === 'error') outcome = outcomeOf(err);
      throw grpcFault(err, this.name);
    } finally {
      this.deps.metrics?.recordUpstream({ upstream: this.name, operation: call.operation, outcome }, performance.now() - started);
    }
  }

  // Requests are checked against their type before they get here (message-shape.ts), so a value that still does not
  // encode is a bug in the caller: a 500, never a breaker failure of the backend.
  private encode(call: GrpcCall): Buffer {
    try {
      return call.method.encode(call.request);
    } catch (cause) {
      throw new EdgeError('INTERNAL', { detail: `request does not fit ${call.method.service}/${call.method.name}`, cause });
    }
  }

  private async withBreaker(call: GrpcCall, payload: Buffer, ticket: BreakerTicket): Promise<unknown> {
    const { method } = call;
    const attributes = { 'rpc.system': 'grpc', 'rpc.service': method.service, 'rpc.method': method.name, 'portico.upstream': this.name };
    try {
      const value = await withClientSpan(`${method.service}/${method.name}`, attributes, async (span) => {
        const metadata = new Metadata();
        for (const [key, value] of Object.entries(call.metadata)) metadata.set(key, value);
        // Inside the span, so the backend's span is a child of this call's (W3C traceparent as metadata).
        for (const [key, value] of Object.entries(injectTraceContext<Record<string, string>>({}))) metadata.set(key, value);
        try {
          return await this.tries(call, payload, metadata);
        } catch (err) {
          if (isGrpcError(err)) span.setAttribute('rpc.grpc.status_code', err.code);
          throw err;
        }
      }, call.trace);
      this.breaker.record(ticket, 'success');
      return value;
    } catch (err) {
      this.breaker.record(ticket, breakerVerdict(err));
      throw err;
    }
  }

  private async tries(call: GrpcCall, payload: Buffer, metadata: Metadata): Promise<unknown> {
    const retries = Math.min(call.retries, this.policy.retry.maxRetries);
    this.budget.recordCall();
    const budgetMs = Math.max(0, call.deadline - this.now());
    for (let attempt = 0; ; attempt++) {
      if (call.signal?.aborted) throw new UpstreamAbort('client');
      if (call.deadline - this.now() <= 0) throw new UpstreamAbort('deadline', budgetMs);
      try {
        await this.connected(call);
        return await this.tryOnce(call, payload, metadata, budgetMs);
      } catch (err) {
        const unavailable = (isGrpcError(err) && err.code === GrpcStatus.UNAVAILABLE) || faultClass(err) === 'unreachable';
        if (attempt >= retries || !unavailable || !this.budget.tryRetry()) throw err;
      }
      await this.backoff(attempt, call);
    }
  }

  /**
   * The HTTP upstreams' connect timeout for a channel that is still connecting; a channel in TRANSIENT_FAILURE is left
   * to fail the call at once with UNAVAILABLE (grpc-js without waitForReady), which is what a down backend should cost.
   */
  private connected(call: GrpcCall): Promise<void> {
    const channel = this.client.getChannel();
    let state = channel.getConnectivityState(true);
    if (state === connectivityState.READY || state === connectivityState.TRANSIENT_FAILURE) return Promise.resolve();
    const limit = Math.min(this.policy.connectTimeoutMs, Math.max(0, call.deadline - this.now()));
    const until = this.now() + limit;
    return new Promise<void>((resolve, reject) => {
      const watch = () =>
        channel.watchConnectivityState(state, until, (err) => {
          if (err) {
            const deadlineFirst = limit < this.policy.connectTimeoutMs;
            reject(deadlineFirst ? new UpstreamAbort('deadline', limit) : new EdgeError('UPSTREAM_UNREACHABLE', { detail: `${serviceLabel(this.name)}: could not connect within ${limit} ms` }));
            return;
          }
          state = channel.getConnectivityState(false);
          if (state === connectivityState.IDLE || state === connectivityState.CONNECTING) watch();
          else resolve();
        });
      watch();
    });
  }

  private tryOnce(call: GrpcCall, payload: Buffer, metadata: Metadata, budgetMs: number): Promise<unknown> {
    const perTry = Math.min(call.tryTimeoutMs ?? this.policy.callTimeoutMs, this.policy.callTimeoutMs);
    const remaining = call.deadline - this.now();
    const tryBinds = perTry < remaining;
    const tryDeadline = this.now() + Math.min(perTry, remaining);
    const pass = (b: Buffer) => b;
    return new Promise((resolve, reject) => {
      let cancelledByClient = false;
      const onClient = () => {
        cancelledByClient = true;
        pending.cancel();
      };
      const pending = this.client.makeUnaryRequest<Buffer, Buffer>(
        call.method.path,
        pass,
        pass,
        payload,
        metadata,
        { deadline: tryDeadline },
        (err: ServiceError | null, bytes?: Buffer) => {
          call.signal?.removeEventListener('abort', onClient);
          if (err) {
            // Our own limit fired (grpc-js ends the call at the deadline); a backend that says DEADLINE_EXCEEDED earlier goes by the table.
            const ours = err.code === GrpcStatus.DEADLINE_EXCEEDED && this.now() >= tryDeadline - 10;
            if (cancelledByClient) reject(new UpstreamAbort('client'));
            else if (ours) reject(tryBinds ? new UpstreamAbort('try-timeout', perTry) : new UpstreamAbort('deadline', budgetMs));
            else reject(err);
            return;
          }
          try {
            resolve(call.method.decode(bytes ?? Buffer.alloc(0)));
          } catch (cause) {
            reject(new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${serviceLabel(this.name)}: response is not a valid ${call.method.name} answer`, cause }));
          }
        },
      );
      call.signal?.addEventListener('abort', onClient, { once: true });
    });
  }

  private async backoff(attempt: number, call: GrpcCall): Promise<void> {
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

  /** Closes the channel; calls still in flight fail with CANCELLED. Call from the shutdown hook after requests finish. */
  close(): void {
    this.client.close();
  }
}
