/**
 * The one table from gRPC status codes to catalogue codes (and so HTTP statuses), breaker verdicts and metric outcomes,
 * shared by gRPC routes and clients. Transport aborts Portico causes itself (deadline, client gone) go through upstream-faults.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { EdgeError, type ErrorCode, type UpstreamOutcome } from '@portico/edge';
import { serviceLabel, upstreamFault } from './upstream-faults';

/** One row: what a gRPC status becomes at the edge. */
export interface GrpcFaultRow {
  /** Catalogue code, hence the HTTP status and problem type. */
  code: ErrorCode;
  /** Detail after "<name> service: " when the backend's own message is not forwarded. */
  detail: string;
  /** True when the backend's message describes the client's own input and may reach the client (cleaned, capped). */
  forwardDetail: boolean;
  /** Whether the call counts against the upstream's circuit breaker (5xx-class statuses do, 4xx-class never). */
  breaker: 'success' | 'failure';
  /** The `outcome` label of portico_upstream_call_duration_seconds. */
  outcome: UpstreamOutcome;
}

const row = (code: ErrorCode, detail: string, breaker: GrpcFaultRow['breaker'], outcome: UpstreamOutcome, forwardDetail = false): GrpcFaultRow => ({
  code,
  detail,
  forwardDetail,
  breaker,
  outcome,
});

/**
 * gRPC status → HTTP by the standard mapping (google.rpc.Code, as grpc-gateway and Google APIs apply it). Only
 * INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS and ABORTED forward the backend's message,
 * as the HTTP clients forward 400/409/422 problem details (clients/json-body.ts); nothing else a backend says reaches a client.
 */
export const GRPC_FAULTS: Readonly<Record<number, GrpcFaultRow>> = Object.freeze({
  [GrpcStatus.CANCELLED]: row('CLIENT_CLOSED_REQUEST', 'call cancelled', 'success', 'aborted'),
  [GrpcStatus.UNKNOWN]: row('UPSTREAM_INTERNAL', 'failed with an unknown error', 'failure', 'server_error'),
  [GrpcStatus.INVALID_ARGUMENT]: row('BAD_REQUEST', 'invalid argument', 'success', 'client_error', true),
  [GrpcStatus.DEADLINE_EXCEEDED]: row('DEADLINE_EXCEEDED', 'deadline exceeded', 'failure', 'timeout'),
  [GrpcStatus.NOT_FOUND]: row('NOT_FOUND', 'not found', 'success', 'client_error'),
  [GrpcStatus.ALREADY_EXISTS]: row('CONFLICT', 'already exists', 'success', 'client_error', true),
  [GrpcStatus.PERMISSION_DENIED]: row('FORBIDDEN', 'permission denied', 'success', 'client_error'),
  [GrpcStatus.RESOURCE_EXHAUSTED]: row('RATE_LIMITED', 'resource exhausted', 'success', 'client_error'),
  [GrpcStatus.FAILED_PRECONDITION]: row('BAD_REQUEST', 'failed precondition', 'success', 'client_error', true),
  [GrpcStatus.ABORTED]: row('CONFLICT', 'aborted', 'success', 'client_error', true),
  [GrpcStatus.OUT_OF_RANGE]: row('BAD_REQUEST', 'out of range', 'success', 'client_error', true),
  [GrpcStatus.UNIMPLEMENTED]: row('NOT_IMPLEMENTED', 'method not implemented', 'failure', 'server_error'),
  [GrpcStatus.INTERNAL]: row('UPSTREAM_INTERNAL', 'internal error', 'failure', 'server_error'),
  [GrpcStatus.UNAVAILABLE]: row('UPSTREAM_UNAVAILABLE', 'unavailable', 'failure', 'unreachable'),
  [GrpcStatus.DATA_LOSS]: row('UPSTREAM_INTERNAL', 'data loss', 'failure', 'server_error'),
  [GrpcStatus.UNAUTHENTICATED]: row('UNAUTHENTICATED', 'unauthenticated', 'success', 'client_error'),
});

const UNLISTED = row('UPSTREAM_ERROR', 'failed', 'failure', 'error');
const MAX_DETAIL = 300;

/** True for a grpc-js call error (a numeric status `code` and trailing metadata). */
export function isGrpcError(err: unknown): err is ServiceError {
  const e = err as Partial<ServiceError> | null;
  return typeof e === 'object' && e !== null && typeof e.code === 'number' && 'metadata' in e;
}

/** The table row for a status code; an unlisted code is treated as a generic upstream failure. */
export function grpcFaultRow(code: number): GrpcFaultRow {
  return GRPC_FAULTS[code] ?? UNLISTED;
}

function clean(text: unknown): string | undefined {
  // eslint-disable-next-line no-control-regex
  return typeof text === 'string' && text.length > 0 ? text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_DETAIL) : undefined;
}

/**
 * Maps a gRPC status (and, for forwardable rows, the backend's message) to an EdgeError naming the service, never an
 * address. RESOURCE_EXHAUSTED carries Retry-After (docs/edge-defaults.md: Retry-After on 429).
 */
export function grpcStatusFault(code: number, details: string | undefined, upstreamName: string, cause?: unknown): EdgeError {
  const r = grpcFaultRow(code);
  const forwarded = r.forwardDetail ? clean(details) : undefined;
  const headers = code === GrpcStatus.RESOURCE_EXHAUSTED ? { 'Retry-After': '1' } : undefined;
  return new EdgeError(r.code, { detail: `${serviceLabel(upstreamName)}: ${forwarded ?? r.detail}`, headers, cause });
}

/** Anything a gRPC call threw → EdgeError: grpc-js statuses by the table; Portico's own aborts and the rest by upstream-faults. */
export function grpcFault(err: unknown, upstreamName: string): EdgeError {
  if (isGrpcError(err)) return grpcStatusFault(err.code, err.details, upstreamName, err);
  return upstreamFault(err, upstreamName);
}
