/** EdgeState: the one declared shape of ctx.state across edge, gateway and services. Each field names the module that sets it. */
import type { Context as TraceContext } from '@opentelemetry/api';
import type { ParameterizedContext } from 'koa';

/** The logger surface edge modules rely on; pino's Logger satisfies it. */
export interface EdgeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): EdgeLogger;
}

/** Who made the request, once verified by auth/authenticate. */
export interface Principal {
  /** How the caller proved who it is. */
  kind: 'jwt' | 'api-key';
  /** Verified `iss` for JWTs; `portico:api-key` for API keys. */
  issuer: string;
  /** Verified `sub` for JWTs; the owning consumer for API keys. */
  subject: string;
  /** OAuth scopes (`orders:read`). */
  scopes: readonly string[];
  /** Roles (`consumer`, `courier`, `admin`). */
  roles: readonly string[];
  /** The OAuth client (`azp`/`client_id`) or the API key id. */
  clientId?: string;
  /** The API key's quota plan. */
  plan?: string;
  /** Expiry, epoch seconds (JWTs only). */
  expiresAt?: number;
}

/** The matched route, set by the router before the route's own chain runs. */
export interface RouteInfo {
  /** Route id from the routing map (`get-order-details`). */
  id: string;
  /** Path template (`/orders/:orderId`); metrics and spans use it, never ctx.path. */
  template: string;
}

/** The declared shape of `ctx.state` for every Portico service. */
export interface EdgeState {
  /** Set by logging/request-id: the incoming valid X-Request-Id or a new one. */
  requestId: string;
  /** Set by logging/request-id: a child logger bound to the request id. */
  log: EdgeLogger;
  /** Set by logging/request-id: the client address after trusted-proxy hops are removed. */
  clientAddress: string;
  /** Set by the router. */
  route?: RouteInfo;
  /** Set by the router: decoded path parameters of the matched route (`{ orderId: '42' }`). */
  params?: Readonly<Record<string, string>>;
  /** Set by the gateway when the route declares `policy.body`: the parsed JSON body, already validated. */
  body?: unknown;
  /** Set by auth/authenticate when credentials were verified. */
  principal?: Principal;
  /** Set by the route chain: absolute epoch ms by which the answer must be built. */
  deadline?: number;
  /**
   * Set by a composition whose answer lacks some parts (failed optional parts, `_errors`) when its body is already
   * serialised: such an answer is never cached. A body still an object is recognised by its `_errors`.
   */
  partial?: boolean;
  /** Set by compress when it encoded the answer, read by metrics; sizes only for a whole body (a stream's are not known yet). */
  compression?: { encoding: 'br' | 'gzip'; bytesIn?: number; bytesOut?: number };
  /** Set by cache: HIT or MISS, read by the access log. */
  cache?: 'HIT' | 'MISS' | 'BYPASS';
  /**
   * Set by telemetry's server span when tracing runs: the request's trace context. Calls made for the request carry it
   * (Deadline, runInTraceContext, withClientSpan) so their spans join its trace (telemetry/trace-context.ts).
   */
  trace?: TraceContext;
  /** Set by ratelimit: the decision, read by the access log and metrics. */
  rateLimit?: { policy: string; allowed: boolean; remaining: number; /** True when the store was unreachable and the per-process fallback decided. */ storeFailure?: boolean };
}

/** The Koa context type every Portico middleware receives. */
export type EdgeContext = ParameterizedContext<EdgeState>;

/**
 * True for an answer that lacks some of its parts: ctx.state.partial (a composition set it), an upstream's
 * X-Partial-Response, or a JSON body with a non-empty `_errors`. Such an answer is never stored or validated.
 */
export function isPartialAnswer(ctx: EdgeContext): boolean {
  if (ctx.state.partial === true || ctx.response.get('X-Partial-Response')) return true;
  const body: unknown = ctx.body;
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body)) return false;
  const errors = (body as { _errors?: unknown })._errors;
  return Array.isArray(errors) && errors.length > 0;
}
