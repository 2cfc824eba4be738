/**
 * ServiceClient: JSON calls to one upstream with every timeout and the retry policy set explicitly here (docs/style.md ›
 * Errors), a capped body read and typed results. Transport, breaker and bulkhead are the Upstream's; mapping a 404 is the caller's.
 */
import { EdgeError } from '@portico/edge';
import type { Upstream, UpstreamPolicy } from './upstream-types';
import type { RetrySettings } from './retry';
import type { Deadline } from './deadline';
import { upstreamFault, serviceLabel, statusFault } from '../upstream-faults';
import { readUpstreamJson, readUpstreamJsonBytes, UpstreamClientError, type JsonBytes } from './json-body';

/**
 * Every upstream timeout and the retry policy, as docs/edge-defaults.md › Upstreams requires; createUpstreams fills unset
 * policy values from here. HTTP clients' own defaults either never time out (undici: 300 s) or retry too much.
 */
export const UPSTREAM_DEFAULTS: UpstreamPolicy & { retry: RetrySettings } = Object.freeze({
  connectTimeoutMs: 1500, // 1–2 s
  headersTimeoutMs: 5000, // per try; never beyond the route deadline (5 s by default), which dispatch enforces
  bodyTimeoutMs: 30_000, // between body chunks
  keepAliveTimeoutMs: 4000, // below a Node upstream's 5 s keep-alive
  connections: 128,
  maxConcurrent: 256, // bulkhead
  bufferBytes: 64 * 1024, // answers up to this size (declared) are read whole, as nginx's default proxy buffers hold
  breaker: Object.freeze({ failureRatio: 0.5, minimumCalls: 20, windowMs: 10_000, openMs: 30_000 }),
  // At most 2 retries, only GET/HEAD/OPTIONS (PUT/DELETE when declared idempotent), only on connect errors, per-try
  // timeouts and 502/503/504 — never on 429 — with full-jitter backoff and a 20% retry budget per upstream.
  retry: Object.freeze({ maxRetries: 2, budgetRatio: 0.2, budgetMinimum: 10, budgetWindowMs: 10_000, baseDelayMs: 25, maxDelayMs: 250 }),
});

/** Settings of one ServiceClient. */
export interface ServiceClientOptions {
  /** Retries for GET/HEAD/OPTIONS and declared-idempotent PUT/DELETE (default 2, the upstream's cap applies). */
  retries?: number;
  /** Per-try time to headers, ms (default: the upstream's headersTimeoutMs). */
  timeoutMs?: number;
  /** Largest JSON body read, bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

/** Options of one call. */
export interface ServiceCallOptions {
  /** The request's deadline (a branch's child deadline in a composition). */
  deadline: Deadline;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  /** Metrics and span name; defaults to `METHOD path-without-query`. */
  operation?: string;
  /** For PUT/DELETE: the backend treats the call as idempotent, so it may be retried. */
  idempotent?: boolean;
  /** Per-try timeout for this call, ms. */
  timeoutMs?: number;
}

/** A successful (2xx/3xx) JSON answer. `body` is null for an empty answer (204). */
export interface JsonReply<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

const DEFAULT_MAX_BODY = 1_048_576;

/** JSON calls to one upstream. 404 resolves to null; other 4xx reject with UpstreamClientError; 5xx and faults with EdgeError. */
export class ServiceClient {
  private readonly retries: number;
  private readonly maxBodyBytes: number;

  constructor(
    readonly upstream: Upstream,
    private readonly options: ServiceClientOptions = {},
  ) {
    this.retries = options.retries ?? UPSTREAM_DEFAULTS.retry.maxRetries;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  /** GET a JSON resource; null when the upstream answers 404. */
  async getJson<T>(path: string, opts: ServiceCallOptions): Promise<T | null> {
    return ((await this.exchange('GET', path, undefined, opts))?.body.value as T | undefined) ?? null;
  }

  /**
   * GET a JSON resource, keeping the bytes it was parsed from (to pass on unchanged): the reply's body is
   * `{ value, bytes }`; null when the upstream answers 404.
   */
  getJsonBytes(path: string, opts: ServiceCallOptions): Promise<JsonReply<JsonBytes> | null> {
    return this.exchange('GET', path, undefined, opts);
  }

  /** POST JSON; sent at most once. */
  async postJson<T>(path: string, body: unknown, opts: ServiceCallOptions): Promise<T | null> {
    return (await this.send<T>('POST', path, body, opts))?.body ?? null;
  }

  /** PUT JSON; retried only with `idempotent: true`. */
  async putJson<T>(path: string, body: unknown, opts: ServiceCallOptions): Promise<T | null> {
    return (await this.send<T>('PUT', path, body, opts))?.body ?? null;
  }

  /** PATCH JSON; sent at most once. */
  async patchJson<T>(path: string, body: unknown, opts: ServiceCallOptions): Promise<T | null> {
    return (await this.send<T>('PATCH', path, body, opts))?.body ?? null;
  }

  /** DELETE; retried only with `idempotent: true`. */
  async deleteJson<T>(path: string, opts: ServiceCallOptions): Promise<T | null> {
    return (await this.send<T>('DELETE', path, undefined, opts))?.body ?? null;
  }

  /** Any method: the full reply, or null for a 404. */
  async send<T>(method: string, path: string, body: unknown, opts: ServiceCallOptions): Promise<JsonReply<T> | null> {
    const reply = await this.exchange(method, path, body, opts);
    return reply && { status: reply.status, headers: reply.headers, body: reply.body.value as T };
  }

  // The reply's body is the parsed JSON with its bytes.
  private async exchange(method: string, path: string, body: unknown, opts: ServiceCallOptions): Promise<JsonReply<JsonBytes> | null> {
    const m = method.toUpperCase();
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const idempotent = m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || ((m === 'PUT' || m === 'DELETE') && opts.idempotent === true);
    const res = await this.upstream.dispatch({
      method: m,
      path: withQuery(path, opts.query),
      headers,
      body: payload ?? null,
      deadline: opts.deadline.at,
      signal: opts.deadline.clientSignal,
      trace: opts.deadline.trace,
      retries: idempotent ? this.retries : 0,
      operation: opts.operation ?? `${m} ${path}`,
      tryTimeoutMs: opts.timeoutMs ?? this.options.timeoutMs,
    });
    const name = this.upstream.name;
    if (res.statusCode >= 500) {
      res.dump().catch(() => {});
      throw statusFault(res.statusCode, name) ?? new EdgeError('UPSTREAM_ERROR', { detail: `${serviceLabel(name)}: failed` });
    }
    if (res.statusCode === 404) {
      res.dump().catch(() => {});
      return null;
    }
    try {
      if (res.statusCode >= 400) {
        const problem = await readUpstreamJson(res, 65_536, opts.deadline, name, true);
        throw new UpstreamClientError(name, res.statusCode, problem, res.headers['retry-after']);
      }
      const parsed = await readUpstreamJsonBytes(res, this.maxBodyBytes, opts.deadline, name, false);
      return { status: res.statusCode, headers: res.headers, body: parsed };
    } catch (err) {
      if (err instanceof UpstreamClientError) throw err;
      throw upstreamFault(err, name);
    }
  }
}

function withQuery(path: string, query: ServiceCallOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.append(key, String(value));
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}
