/**
 * Settings of a gRPC upstream: the HTTP upstreams' resilience defaults (breaker, bulkhead, retries, connect and per-try
 * timeouts from UPSTREAM_DEFAULTS) plus the channel's keepalive, reconnect backoff and message size. Applying them is grpc-upstream.ts's job.
 */
import type { ChannelOptions } from '@grpc/grpc-js';
import type { BreakerSettings } from '../clients/breaker';
import type { RetrySettings } from '../clients/retry';
import { UPSTREAM_DEFAULTS } from '../clients/service-client';

/** Everything a GrpcUpstream needs to know; every value has a default in GRPC_DEFAULTS. */
export interface GrpcUpstreamPolicy {
  /** Longest wait for a connecting channel before the call fails as unreachable, ms (1500, as HTTP). */
  connectTimeoutMs: number;
  /** Per-try limit, ms (5000, as HTTP's headers timeout); the route deadline still applies. */
  callTimeoutMs: number;
  /** Max concurrent calls (bulkhead, 256). */
  maxConcurrent: number;
  breaker: BreakerSettings;
  retry: RetrySettings;
  /** HTTP/2 PING interval on the channel, ms (30000): finds a dead connection before a call does. */
  keepaliveTimeMs: number;
  /** Time to wait for a PING answer, ms (10000). */
  keepaliveTimeoutMs: number;
  /** First and largest reconnect backoff, ms (250 / 5000). */
  initialReconnectBackoffMs: number;
  maxReconnectBackoffMs: number;
  /** Largest response message, bytes (4 MiB, grpc's own default). */
  maxReceiveMessageBytes: number;
}

/** Per-upstream overrides; anything unset takes GRPC_DEFAULTS. */
export type GrpcPolicyOverrides = Partial<Omit<GrpcUpstreamPolicy, 'breaker' | 'retry'>> & { breaker?: Partial<BreakerSettings>; retry?: Partial<RetrySettings> };

/**
 * The defaults: resilience exactly as HTTP upstreams (docs/edge-defaults.md › Upstreams). grpc-js's own reconnect backoff
 * (1 s growing to 120 s) would keep a restarted backend unused for up to two minutes; 5 s at most suits a gateway.
 */
export const GRPC_DEFAULTS: Readonly<GrpcUpstreamPolicy> = Object.freeze({
  connectTimeoutMs: UPSTREAM_DEFAULTS.connectTimeoutMs,
  callTimeoutMs: UPSTREAM_DEFAULTS.headersTimeoutMs,
  maxConcurrent: UPSTREAM_DEFAULTS.maxConcurrent,
  breaker: UPSTREAM_DEFAULTS.breaker,
  retry: UPSTREAM_DEFAULTS.retry as RetrySettings,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  initialReconnectBackoffMs: 250,
  maxReconnectBackoffMs: 5_000,
  maxReceiveMessageBytes: 4 * 1024 * 1024,
});

/** Fills unset values from GRPC_DEFAULTS and checks them; throws naming the upstream. */
export function resolveGrpcPolicy(name: string, overrides: GrpcPolicyOverrides = {}): GrpcUpstreamPolicy {
  const policy: GrpcUpstreamPolicy = {
    ...GRPC_DEFAULTS,
    ...overrides,
    breaker: { ...GRPC_DEFAULTS.breaker, ...overrides.breaker },
    retry: { ...GRPC_DEFAULTS.retry, ...overrides.retry },
  };
  const ms = ['connectTimeoutMs', 'callTimeoutMs', 'keepaliveTimeMs', 'keepaliveTimeoutMs', 'initialReconnectBackoffMs', 'maxReconnectBackoffMs'] as const;
  for (const key of ms) if (!Number.isFinite(policy[key]) || policy[key] <= 0) throw new Error(`grpc upstream ${name}: ${key} must be a positive number of ms`);
  if (policy.maxConcurrent < 1) throw new Error(`grpc upstream ${name}: maxConcurrent must be at least 1`);
  const { failureRatio, minimumCalls } = policy.breaker;
  if (!(failureRatio > 0 && failureRatio <= 1) || minimumCalls < 1) throw new Error(`grpc upstream ${name}: breaker needs 0 < failureRatio ≤ 1 and minimumCalls ≥ 1`);
  if (policy.retry.maxRetries > 2) throw new Error(`grpc upstream ${name}: at most 2 retries (docs/edge-defaults.md › Upstreams)`);
  return policy;
}

/** grpc-js channel arguments for a policy. */
export function channelOptions(policy: GrpcUpstreamPolicy): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': policy.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': policy.keepaliveTimeoutMs,
    // Pings only while calls are in flight: servers (grpc-go's default policy among them) close connections that ping idly.
    'grpc.keepalive_permit_without_calls': 0,
    'grpc.initial_reconnect_backoff_ms': policy.initialReconnectBackoffMs,
    'grpc.max_reconnect_backoff_ms': policy.maxReconnectBackoffMs,
    'grpc.max_receive_message_length': policy.maxReceiveMessageBytes,
    // Retrying is this upstream's job (only UNAVAILABLE, within the budget); grpc-js's own retry layer stays off.
    'grpc.enable_retries': 0,
  };
}
