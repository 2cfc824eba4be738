/**
 * A composition part answered by a unary gRPC method instead of an HTTP path: the part's `grpc:` block, checked against
 * the proto at start-up (request-mapping.ts) and called through a GrpcClient. Ordering, required/optional and `_errors`
 * stay declarative.ts's, so a gRPC part behaves exactly like an HTTP one.
 *
 *   - key: ticket
 *     grpc: { upstream: '${KITCHEN_GRPC_ADDRESS}', service: portico.kitchen.v1.KitchenService, method: GetTicket, request: { orderId: ':orderId' } }
 */
import { z } from 'zod';
import { EdgeError, isEdgeError } from '@portico/edge';
import type { Deadline } from '../clients/deadline';
import { GrpcClient } from '../grpc/grpc-client';
import { addressVariable, grpcMethodShape, requestFieldSchema } from '../grpc/grpc-route-schema';
import type { GrpcUpstream } from '../grpc/grpc-upstream';
import { isoTimes } from '../grpc/message-times';
import type { ProtoRegistry } from '../grpc/proto-registry';
import { buildRequest, compileRequestPlan, type RequestPlan } from '../grpc/request-mapping';
import { serviceLabel } from '../upstream-faults';
import type { PartRef } from './compose-schema';

const REF = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})((?:\.[A-Za-z_][A-Za-z0-9_-]{0,63}){1,8})\}$/;
const SOURCE = /^(:[A-Za-z_][A-Za-z0-9_]*|query\.[A-Za-z0-9_.~-]+)$/;

/** The `grpc:` block of a composition part. */
export const composeGrpcSchema = z
  .object({
    ...grpcMethodShape,
    /**
     * Request field → `:param` (request path), `query.name`, or `{key.field}`: a field of an earlier part's answer,
     * which makes this part depend on that one (as `{order.restaurantId}` in an HTTP part's path does).
     */
    request: z
      .record(
        requestFieldSchema,
        z.string().refine((text) => SOURCE.test(text) || REF.test(text), 'expected ":param", "query.name" or an earlier part\'s field like "{order.restaurantId}"'),
      )
      .default({}),
    /** `iso`: every int64 `…UnixMs` field of the answer becomes an ISO 8601 field without the suffix (`etaUnixMs` → `eta`), as REST answers name times. */
    times: z.enum(['unix-ms', 'iso']).default('unix-ms'),
  })
  .strict();

/** A validated `grpc:` block of a part. */
export type ComposeGrpcTarget = z.output<typeof composeGrpcSchema>;

/** The earlier part a request source reads (`{order.restaurantId}`), or undefined for `:param` and `query.name`. */
export function sourceRef(text: string): PartRef | undefined {
  const m = REF.exec(text);
  return m ? { key: m[1] as string, field: (m[2] as string).slice(1).split('.') } : undefined;
}

/** The `:param` names a gRPC part's request takes from the request path. */
export function sourceParams(request: Readonly<Record<string, string>>): string[] {
  return Object.values(request).flatMap((text) => (text.startsWith(':') ? [text.slice(1)] : []));
}

/** What gRPC parts need, created once at start-up: the loaded protos and the channel behind an address variable. */
export interface ComposeGrpcDeps {
  /** Undefined when the service loaded no .proto files (GRPC_PROTO_PATH unset). */
  registry: ProtoRegistry | undefined;
  /** The upstream whose address the variable holds; throws when none was created for it. */
  upstreamFor(variable: string): GrpcUpstream;
}

/** One call of a gRPC part. */
export interface GrpcPartInput {
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string | string[] | undefined>>;
  /** The answers of the parts this one depends on, by key. */
  answers: ReadonlyMap<string, unknown>;
  deadline: Deadline;
  /** The request id and the verified principal's identity headers, sent as metadata (the composition's backend headers). */
  metadata: Record<string, string>;
  timeoutMs?: number;
  /** Metrics and span label (default `compose <key>`). */
  operation?: string;
  /** The upstream name behind a part key, for error details. */
  upstreamOf(key: string): string;
}

/** A gRPC part compiled once at start-up: an unknown service, method, field or address variable throws then. */
export class GrpcPart {
  private readonly client: GrpcClient;
  private readonly plan: RequestPlan;
  private readonly refs: PartRef[];

  constructor(
    readonly key: string,
    private readonly target: ComposeGrpcTarget,
    deps: ComposeGrpcDeps,
  ) {
    if (!deps.registry) throw new Error('no .proto files loaded: set GRPC_PROTO_PATH to the directory holding them');
    this.client = new GrpcClient(deps.upstreamFor(addressVariable(target.upstream)), deps.registry, target.service);
    // An earlier answer is JSON, so `{order.restaurantId}` reuses the mapping's JSON-body source over the answers by key.
    const mapping = Object.fromEntries(Object.entries(target.request).map(([field, text]) => [field, REF.test(text) ? `body.${text.slice(1, -1)}` : text]));
    this.plan = compileRequestPlan(mapping, this.client.method(target.method).requestType);
    this.refs = Object.values(target.request).flatMap((text) => sourceRef(text) ?? []);
  }

  /** The name of the gRPC upstream (`kitchen`), for labels. */
  get upstream(): string {
    return this.client.upstream.name;
  }

  /** Checks the client's own values (path, query) before any backend is called: 400 or INVALID_QUERY naming the field. */
  check(params: GrpcPartInput['params'], query: GrpcPartInput['query']): void {
    buildRequest(this.plan, { params, query });
  }

  /** Calls the method; resolves null for NOT_FOUND (absent, as an HTTP 404), rejects with the mapped EdgeError. */
  async call(input: GrpcPartInput): Promise<unknown> {
    const request = this.request(input);
    const answer = await this.client.find(this.target.method, request, { deadline: input.deadline, metadata: input.metadata, operation: input.operation ?? `compose ${this.key}`, timeoutMs: input.timeoutMs });
    return this.target.times === 'iso' ? isoTimes(answer) : answer;
  }

  private request(input: GrpcPartInput): Record<string, unknown> {
    const unusable = (ref: PartRef) =>
      new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${serviceLabel(input.upstreamOf(ref.key))}: answer has no usable "${ref.field.join('.')}"` });
    for (const ref of this.refs) {
      let at = input.answers.get(ref.key);
      for (const segment of ref.field) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[segment] : undefined;
      if (at === undefined || at === null) throw unusable(ref);
    }
    try {
      return buildRequest(this.plan, { params: input.params, query: input.query, body: Object.fromEntries(input.answers) });
    } catch (err) {
      // A value taken from an earlier answer that does not fit the field is that backend's fault, not the client's.
      if (!isEdgeError(err) || err.code !== 'VALIDATION_FAILED') throw err;
      // The problem names `body.<key>.<field>`: the answers by key stood in for the body.
      const [key = this.key, ...field] = (err.extensions.errors as Array<{ field: string }> | undefined)?.[0]?.field.split('.').slice(1) ?? [];
      throw unusable({ key, field });
    }
  }
}
