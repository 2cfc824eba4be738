/**
 * Reading an upstream JSON body within a size cap and the deadline, and the typed error for an upstream 4xx with
 * the one decision on what of a backend's problem detail may reach the client. Transport faults are upstream-faults' job.
 */
import { EdgeError, type ErrorCode } from '@portico/edge';
import type { Deadline } from './deadline';
import { UpstreamAbort, serviceLabel } from '../upstream-faults';
import type { UpstreamResponse } from './upstream-exchange';

/**
 * Reads and parses a JSON body: larger than `maxBytes`, not JSON, or stalled past the deadline → EdgeError (502/504).
 * An empty body is null. With `lenient`, a non-JSON body is undefined instead of an error (for 4xx problem bodies).
 */
export async function readUpstreamJson(res: UpstreamResponse, maxBytes: number, deadline: Deadline, name: string, lenient: boolean): Promise<unknown> {
  return (await readUpstreamJsonBytes(res, maxBytes, deadline, name, lenient)).value;
}

/** A parsed JSON body and the bytes it was parsed from (empty for an empty body). */
export interface JsonBytes {
  value: unknown;
  bytes: Buffer;
}

/** readUpstreamJson, also giving the body's bytes, for a caller that may pass them on unchanged. */
export async function readUpstreamJsonBytes(res: UpstreamResponse, maxBytes: number, deadline: Deadline, name: string, lenient: boolean): Promise<JsonBytes> {
  const label = serviceLabel(name);
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${label}: response larger than ${maxBytes} bytes` });
  }
  const bytes = res.buffered ?? (await readCapped(res, maxBytes, deadline, label));
  if (bytes.length === 0) return { value: null, bytes };
  const type = String(res.headers['content-type'] ?? '');
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    if (lenient) return { value: undefined, bytes };
    throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${label}: expected a JSON response` });
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')) as unknown, bytes };
  } catch (err) {
    if (lenient) return { value: undefined, bytes };
    throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${label}: response is not valid JSON`, cause: err });
  }
}

// A streamed body (no declared length, or one above the buffer size): read within the cap and the deadline.
async function readCapped(res: UpstreamResponse, maxBytes: number, deadline: Deadline, label: string): Promise<Buffer> {
  const budget = deadline.remaining();
  const timer = setTimeout(() => res.body.destroy(new UpstreamAbort('deadline', budget)), budget);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${label}: response larger than ${maxBytes} bytes` });
      }
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/** What of a backend's problem body Portico forwards: a short detail and field-level validation errors, nothing else. */
export interface ForwardedProblem {
  detail?: string;
  errors?: Array<Record<string, string>>;
}

// Statuses whose problem body describes the client's own input, so its detail and field errors help the client fix it.
const FORWARDABLE = new Set([400, 409, 422]);
const ERROR_KEYS = ['pointer', 'field', 'path', 'message', 'code'] as const;
const MAX_TEXT = 300;
const MAX_ERRORS = 50;

function clean(value: unknown): string | undefined {
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' ? value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_TEXT) : undefined;
}

/** Keeps only `detail` and `errors[]` string members (capped) from a backend problem body; type, title, instance and other members are dropped. */
export function forwardableProblem(status: number, body: unknown): ForwardedProblem | undefined {
  if (!FORWARDABLE.has(status) || typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const source = body as { detail?: unknown; errors?: unknown };
  const out: ForwardedProblem = {};
  const detail = clean(source.detail);
  if (detail) out.detail = detail;
  if (Array.isArray(source.errors)) {
    out.errors = source.errors.slice(0, MAX_ERRORS).flatMap((item: unknown) => {
      if (typeof item !== 'object' || item === null) return [];
      const entry: Record<string, string> = {};
      for (const key of ERROR_KEYS) {
        const v = clean((item as Record<string, unknown>)[key]);
        if (v !== undefined) entry[key] = v;
      }
      return Object.keys(entry).length ? [entry] : [];
    });
  }
  return out.detail !== undefined || out.errors?.length ? out : undefined;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = { 400: 'BAD_REQUEST', 403: 'FORBIDDEN', 409: 'CONFLICT', 410: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 422: 'VALIDATION_FAILED' };

/** An upstream answered 4xx (other than 404): the status and the forwardable part of its problem body. */
export class UpstreamClientError extends Error {
  /** Forwardable problem members, if the backend sent any (see forwardableProblem). */
  readonly problem: ForwardedProblem | undefined;
  readonly retryAfter: string | undefined;

  constructor(
    readonly upstream: string,
    readonly status: number,
    body: unknown,
    retryAfter?: string | string[],
  ) {
    super(`${serviceLabel(upstream)} answered ${status}`);
    this.name = 'UpstreamClientError';
    this.problem = forwardableProblem(status, body);
    const ra = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
    this.retryAfter = ra !== undefined && /^\d{1,6}$/.test(ra) ? ra : undefined;
  }

  /**
   * The client-facing error: 400/409/422 keep their meaning and forwardable detail; 403 → FORBIDDEN; 429 (the backend
   * limiting Portico, not the client) → 503 with Retry-After; 401 and anything else means Portico's call was wrong → 502.
   */
  toEdgeError(): EdgeError {
    const label = serviceLabel(this.upstream);
    if (this.status === 429) {
      return new EdgeError('UPSTREAM_UNAVAILABLE', { detail: `${label}: rate limited`, headers: { 'Retry-After': this.retryAfter ?? '1' }, cause: this });
    }
    const code = CODE_BY_STATUS[this.status];
    if (code === undefined) return new EdgeError('UPSTREAM_ERROR', { detail: `${label}: rejected the request (HTTP ${this.status})`, cause: this });
    const extensions = this.problem?.errors?.length ? { errors: this.problem.errors } : undefined;
    return new EdgeError(code, { detail: this.problem?.detail, extensions, cause: this });
  }
}
