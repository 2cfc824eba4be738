/** The contract between the proxy, service clients and the resilience layer: one Upstream per backend origin. Implementations live in upstreams.ts. */
import type { Readable } from 'node:stream';
import type { TraceContext } from '@portico/edge';
import type { UpstreamResponse } from './upstream-exchange';

/** Per-upstream resilience settings; every value has an docs/edge-defaults.md default. */
export interface UpstreamPolicy {
  /** TCP connect timeout, ms (default 1500). */
  connectTimeoutMs: number;
  /** Time to response headers per try, ms (default 5000; 0: no per-try limit, the route deadline alone applies). */
  headersTimeoutMs: number;
  /** Time between chunks of a streamed answer's body, ms (default 30000; 0: no limit). */
  bodyTimeoutMs: number;
  /** Idle keep-alive socket lifetime, ms (default 4000, below Node upstreams' 5 s). */
  keepAliveTimeoutMs: number;
  /** Max sockets to this upstream (default 128). */
  connections: number;
  /** Max concurrent in-flight calls (bulkhead, default 256); beyond → BULKHEAD_FULL. */
  maxConcurrent: number;
  /**
   * An answer whose declared Content-Length is at most this many bytes is read whole before dispatch resolves, so the
   * client gets it in one write and a body that fails mid-way is still a clean 502/504 (default 64 KiB, the size of
   * nginx's default proxy buffers). Larger or undeclared answers stream.
   */
  bufferBytes: number;
  breaker: { failureRatio: number; minimumCalls: number; windowMs: number; openMs: number };
  /** Retry cap, budget and backoff (defaults: 2 retries, 20% budget with a floor of 10 per 10 s, 25–250 ms full jitter). */
  retry?: { maxRetries: number; budgetRatio: number; budgetMinimum: number; budgetWindowMs: number; baseDelayMs: number; maxDelayMs: number };
}

/**
 * What dispatch uses of an abort signal: an AbortSignal fits, and so does the proxy's ClientGone, which costs a
 * listener instead of an AbortController per request.
 */
export interface CallSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** One call to an upstream. */
export interface UpstreamCall {
  method: string;
  /** Path and query, already normalised and rewritten, beginning with `/`. */
  path: string;
  headers: Record<string, string | string[]>;
  /** A buffer, string, or a stream (the proxy passes the client's request stream). */
  body?: string | Buffer | Readable | null;
  /** Absolute epoch-ms deadline shared by every try and branch. */
  deadline: number;
  /** Aborted when the client goes away. */
  signal?: CallSignal;
  /** Retries allowed for this call (0 for a POST or a streamed body). */
  retries: number;
  /** For metrics and spans: the route id or client operation. */
  operation: string;
  /** Per-try time to response headers, ms, when shorter than the upstream's headersTimeoutMs. */
  tryTimeoutMs?: number;
  /** The request's trace context (`ctx.state.trace`, or Deadline.trace): the call's CLIENT span joins its trace. */
  trace?: TraceContext;
}

/** A backend reached over a keep-alive undici pool, behind a breaker and a bulkhead. */
export interface Upstream {
  /** Logical name (`order`), used in metrics, logs and problem details. */
  readonly name: string;
  /** `http://host:port`; never shown to clients. */
  readonly origin: string;
  /**
   * Sends the call with timeouts, retries, breaker and bulkhead; resolves with a small answer read whole, otherwise
   * once response headers arrive (see UpstreamPolicy.bufferBytes).
   * Rejects with an EdgeError already mapped by upstream-faults (502/503/504). Upstream 5xx answers resolve
   * (the caller decides) but count as breaker failures; 4xx never do.
   */
  dispatch(call: UpstreamCall): Promise<UpstreamResponse>;
  /** Breaker state for readiness and metrics. */
  readonly state: 'closed' | 'open' | 'half-open';
}
