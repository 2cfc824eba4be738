/**
 * GrpcClient: typed unary calls to one gRPC service for composition handlers, as easy as ServiceClient's JSON calls:
 * `kitchen.call('GetTicket', { orderId }, { deadline, ctx })`. Transport, breaker, retries and faults are GrpcUpstream's.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { EdgeContext } from '@portico/edge';
import type { Deadline } from '../clients/deadline';
import { principalHeaders } from '../proxy/forwarded-headers';
import type { GrpcUpstream } from './grpc-upstream';
import type { GrpcMethod, ProtoRegistry } from './proto-registry';
import { grpcFaultRow } from '../grpc-faults';
import { UPSTREAM_DEFAULTS } from '../clients/service-client';

/** Options of one call. */
export interface GrpcCallOptions {
  /** The request's deadline (a branch's child deadline in a composition); it becomes the gRPC deadline. */
  deadline: Deadline;
  /** The Koa request the call is made for: its request id and verified principal travel as metadata. */
  ctx?: EdgeContext;
  /** More metadata (lowercase ASCII keys). */
  metadata?: Record<string, string>;
  /** Metrics and span label; defaults to `Service/Method`. */
  operation?: string;
  /** Overrides the proto's idempotency_level: true lets an UNAVAILABLE call be retried. */
  idempotent?: boolean;
  /** Per-try limit, ms. */
  timeoutMs?: number;
}

/** The metadata every call made for a request carries: X-Request-Id and the verified principal's identity headers. */
export function requestMetadata(ctx: EdgeContext | undefined): Record<string, string> {
  if (!ctx) return {};
  return { ...principalHeaders(ctx.state.principal), 'x-request-id': ctx.state.requestId };
}

/** Unary calls to one service of one gRPC upstream; methods are looked up (and cached) on first use. */
export class GrpcClient {
  constructor(
    readonly upstream: GrpcUpstream,
    private readonly registry: ProtoRegistry,
    /** Fully qualified service name (`portico.kitchen.v1.KitchenService`). */
    readonly service: string,
  ) {
    // Fail at start-up, not on the first request, when the service does not exist.
    if (!registry.services().includes(service)) throw new Error(`no gRPC service "${service}" (known: ${registry.services().join(', ') || 'none'})`);
  }

  /** The method's descriptor; throws for an unknown method (a programming error). */
  method(name: string): GrpcMethod {
    return this.registry.method(this.service, name);
  }

  /**
   * Calls `method` with `request` (lowerCamelCase fields, 64-bit integers as strings, enums by name) and resolves with the
   * response message in the same convention. Rejects with the mapped EdgeError (NOT_FOUND → 404, UNAVAILABLE → 503, …).
   */
  async call<T = unknown>(method: string, request: object, options: GrpcCallOptions): Promise<T> {
    const m = this.method(method);
    const idempotent = options.idempotent ?? m.idempotent;
    return (await this.upstream.call({
      method: m,
      request,
      deadline: options.deadline.at,
      signal: options.deadline.clientSignal,
      trace: options.deadline.trace,
      metadata: { ...options.metadata, ...requestMetadata(options.ctx) },
      retries: idempotent ? UPSTREAM_DEFAULTS.retry.maxRetries : 0,
      operation: options.operation ?? `${m.service.split('.').pop() ?? m.service}/${m.name}`,
      tryTimeoutMs: options.timeoutMs,
    })) as T;
  }

  /** Like call, but NOT_FOUND resolves to null, as ServiceClient.getJson does for a 404 (absence is a valid answer). */
  async find<T = unknown>(method: string, request: object, options: GrpcCallOptions): Promise<T | null> {
    try {
      return await this.call<T>(method, request, options);
    } catch (err) {
      if ((err as { code?: unknown }).code === grpcFaultRow(GrpcStatus.NOT_FOUND).code) return null;
      throw err;
    }
  }
}
