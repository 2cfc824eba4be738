/**
 * The one table from upstream failures (undici error codes, abort reasons, breaker and bulkhead refusals, 5xx answers)
 * to catalogue codes, shared by the proxy, service clients and composition. Details name the service, never a host or port.
 */
import { EdgeError, isEdgeError, type ErrorCode } from '@portico/edge';

/** Why an upstream call was aborted on purpose; used as the AbortSignal reason so the fault table can tell them apart. */
export type AbortKind = 'try-timeout' | 'body-timeout' | 'deadline' | 'client';

/** An abort reason Portico sets itself: a per-try timeout, the route deadline, or the client going away. */
export class UpstreamAbort extends Error {
  /** Which limit fired. */
  readonly kind: AbortKind;
  /** The limit that fired, in ms (0 for a client abort). */
  readonly limitMs: number;

  constructor(kind: AbortKind, limitMs = 0) {
    super(kind === 'client' ? 'client went away' : `${kind} of ${limitMs} ms reached`);
    this.name = 'UpstreamAbort';
    this.kind = kind;
    this.limitMs = limitMs;
  }
}

/** Coarse class of a failure, used for metrics outcomes and retry decisions. */
export type FaultClass = 'unreachable' | 'timeout' | 'broken' | 'bad-response' | 'aborted' | 'deadline' | 'unavailable' | 'unknown';

interface FaultRow {
  code: ErrorCode;
  class: FaultClass;
  /** Detail after "<name> service: "; `{ms}` is replaced by the limit when known. */
  detail: string;
}

// docs/edge-defaults.md › Upstreams: 502 for a bad or unreachable upstream, 504 for a timeout, 503 for "not now".
// A connect timeout means the upstream could not be reached, so it is 502 like a refused connection.
const BY_CODE: Record<string, FaultRow> = {
  ECONNREFUSED: { code: 'UPSTREAM_UNREACHABLE', class: 'unreachable', detail: 'connection refused' },
  ENOTFOUND: { code: 'UPSTREAM_UNREACHABLE', class: 'unreachable', detail: 'address could not be resolved' },
  EAI_AGAIN: { code: 'UPSTREAM_UNREACHABLE', class: 'unreachable', detail: 'address could not be resolved' },
  EHOSTUNREACH: { code: 'UPSTREAM_UNREACHABLE', class: 'unreachable', detail: 'host unreachable' },
  ENETUNREACH: { code: 'UPSTREAM_UNREACHABLE', class: 'unreachable', detail: 'network unreachable' },
  UND_ERR_CONNECT_TIMEOUT: { code: 'UPSTREAM_UNREACHABLE', class: 'unreachable', detail: 'could not connect within {ms} ms' },
  UND_ERR_HEADERS_TIMEOUT: { code: 'UPSTREAM_TIMEOUT', class: 'timeout', detail: 'no answer within {ms} ms' },
  UND_ERR_BODY_TIMEOUT: { code: 'UPSTREAM_TIMEOUT', class: 'timeout', detail: 'response body stalled for {ms} ms' },
  ETIMEDOUT: { code: 'UPSTREAM_TIMEOUT', class: 'timeout', detail: 'no answer within {ms} ms' },
  UND_ERR_SOCKET: { code: 'UPSTREAM_ERROR', class: 'broken', detail: 'connection closed before a complete answer' },
  ECONNRESET: { code: 'UPSTREAM_ERROR', class: 'broken', detail: 'connection reset' },
  EPIPE: { code: 'UPSTREAM_ERROR', class: 'broken', detail: 'connection closed while sending' },
  UND_ERR_CLOSED: { code: 'UPSTREAM_ERROR', class: 'broken', detail: 'connection closed' },
  UND_ERR_INFO: { code: 'UPSTREAM_BAD_RESPONSE', class: 'bad-response', detail: 'invalid response' },
  UND_ERR_HEADERS_OVERFLOW: { code: 'UPSTREAM_BAD_RESPONSE', class: 'bad-response', detail: 'response headers too large' },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { code: 'UPSTREAM_BAD_RESPONSE', class: 'bad-response', detail: 'response body length mismatch' },
  UND_ERR_RES_EXCEEDED_MAX_SIZE: { code: 'UPSTREAM_BAD_RESPONSE', class: 'bad-response', detail: 'response too large' },
  UND_ERR_DESTROYED: { code: 'UPSTREAM_UNAVAILABLE', class: 'unavailable', detail: 'client shut down' },
};

const BY_ABORT: Record<AbortKind, FaultRow> = {
  'try-timeout': { code: 'UPSTREAM_TIMEOUT', class: 'timeout', detail: 'no answer within {ms} ms' },
  'body-timeout': { code: 'UPSTREAM_TIMEOUT', class: 'timeout', detail: 'response body stalled for {ms} ms' },
  deadline: { code: 'DEADLINE_EXCEEDED', class: 'deadline', detail: 'request deadline reached after {ms} ms' },
  client: { code: 'CLIENT_CLOSED_REQUEST', class: 'aborted', detail: 'client closed the request' },
};

const UNKNOWN: FaultRow = { code: 'UPSTREAM_ERROR', class: 'unknown', detail: 'request failed' };

function rowFor(err: unknown): { row: FaultRow; limitMs?: number } {
  if (err instanceof UpstreamAbort) return { row: BY_ABORT[err.kind], limitMs: err.limitMs };
  const e = err as { name?: unknown; code?: unknown; cause?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code !== undefined) {
    if (code.startsWith('HPE_')) return { row: { code: 'UPSTREAM_BAD_RESPONSE', class: 'bad-response', detail: 'malformed HTTP response' } };
    const row = BY_CODE[code];
    if (row) return { row };
  }
  // undici's llhttp failures are HTTPParserError with no string code: the upstream spoke something that is not HTTP/1.1.
  if (e?.name === 'HTTPParserError') return { row: { code: 'UPSTREAM_BAD_RESPONSE', class: 'bad-response', detail: 'malformed HTTP response' } };
  // AbortSignal.timeout() rejects with a TimeoutError; a bare AbortError without our reason means the caller gave up.
  if (e?.name === 'TimeoutError') return { row: BY_ABORT['try-timeout'] };
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return { row: BY_ABORT.client };
  // Node wraps DNS and socket errors (`fetch failed` → cause); look one level down.
  if (e?.cause !== undefined && e.cause !== err) return rowFor(e.cause);
  return { row: UNKNOWN };
}

/** How a failure is classified, without building the error (metrics and retry decisions). */
export function faultClass(err: unknown): FaultClass {
  if (isEdgeError(err)) {
    if (err.code === 'UPSTREAM_TIMEOUT') return 'timeout';
    if (err.code === 'DEADLINE_EXCEEDED') return 'deadline';
    if (err.code === 'CLIENT_CLOSED_REQUEST') return 'aborted';
    if (err.code === 'UPSTREAM_UNREACHABLE') return 'unreachable';
    if (err.code === 'UPSTREAM_BAD_RESPONSE') return 'bad-response';
    if (err.status === 503) return 'unavailable';
    return 'unknown';
  }
  return rowFor(err).row.class;
}

/** The service's name as shown to clients: `order` → `order service`. */
export function serviceLabel(upstreamName: string): string {
  return `${upstreamName} service`;
}

/**
 * Maps anything a call to `upstreamName` threw to an EdgeError; EdgeErrors pass through unchanged.
 * `timeoutMs` fills the limit into timeout details when the error itself does not carry it.
 */
export function upstreamFault(err: unknown, upstreamName: string, timeoutMs?: number): EdgeError {
  if (isEdgeError(err)) return err;
  const { row, limitMs } = rowFor(err);
  const ms = limitMs ?? timeoutMs;
  const text = ms === undefined ? row.detail.replace(' within {ms} ms', '').replace(' after {ms} ms', '').replace(' for {ms} ms', '') : row.detail.replace('{ms}', String(ms));
  return new EdgeError(row.code, { detail: `${serviceLabel(upstreamName)}: ${text}`, cause: err });
}

/** The refusal of an open circuit: 503 with Retry-After in whole seconds (at least 1). */
export function circuitOpenFault(upstreamName: string, retryAfterMs: number): EdgeError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new EdgeError('CIRCUIT_OPEN', { detail: `${serviceLabel(upstreamName)}: temporarily disabled after repeated failures`, headers: { 'Retry-After': String(seconds) } });
}

/** The refusal of a full bulkhead: 503 with a short Retry-After. */
export function bulkheadFault(upstreamName: string, maxConcurrent: number): EdgeError {
  return new EdgeError('BULKHEAD_FULL', { detail: `${serviceLabel(upstreamName)}: ${maxConcurrent} calls already in flight`, headers: { 'Retry-After': '1' } });
}

/**
 * The error for an upstream 5xx answer when the caller must fail (a service client, a required part); undefined below 500.
 * 503 → UPSTREAM_UNAVAILABLE, 504 → UPSTREAM_TIMEOUT, any other 5xx → UPSTREAM_ERROR. The upstream body is never included.
 */
export function statusFault(status: number, upstreamName: string): EdgeError | undefined {
  if (status < 500 || status > 599) return undefined;
  const label = serviceLabel(upstreamName);
  if (status === 503) return new EdgeError('UPSTREAM_UNAVAILABLE', { detail: `${label}: unavailable (HTTP 503)` });
  if (status === 504) return new EdgeError('UPSTREAM_TIMEOUT', { detail: `${label}: timed out behind it (HTTP 504)` });
  return new EdgeError('UPSTREAM_ERROR', { detail: `${label}: failed (HTTP ${status})` });
}
