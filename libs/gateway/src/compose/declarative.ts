/**
 * The declarative composition of a route with a `compose:` section. Starts every part (HTTP, or gRPC through
 * grpc-part.ts) as soon as its dependencies have answered, keeps allow-listed fields, answers 200 with `_errors` for
 * failed optional parts and honours `?fields=`. `composer` is the composition itself; composeHandler serves it as the
 * Koa terminal, composeForwarder as a direct route (proxy/direct-route.ts) when the route has no edge functions.
 */
import { isUtf8 } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Middleware } from 'koa';
import { EdgeError, type EdgeContext, type EdgeLogger, type EdgeState, type TraceContext } from '@portico/edge';
import { ServiceClient, type ServiceClientOptions } from '../clients/service-client';
import type { JsonBytes } from '../clients/json-body';
import type { Upstreams } from '../clients/upstreams';
import { DEFAULT_ROUTE_DEADLINE_MS, type Deadline } from '../clients/deadline';
import type { Forwarder } from '../proxy/proxy-route';
import { serviceLabel } from '../upstream-faults';
import { dependencies, dependencyOrder, ownerRef, partParams, partRefs, pathParams, type ComposePart, type ComposeSpec, type PartRef } from './compose-schema';
import { GrpcPart, type ComposeGrpcDeps } from './grpc-part';
import { composeParts, partFault, type CompositionParts, type LazyLogger } from './parts';
import { selectFields, type KnownFields } from './fields';
import { branchDeadlineOf } from './request-deadline';

/** What a declarative composition needs, created once at start-up. */
export interface ComposeDeps {
  upstreams: Pick<Upstreams, 'get'>;
  /** The route's path template, to check that every `:param` a part uses exists. */
  routePath?: string;
  /** Deadline when the route chain set none, ms (default 5000). */
  routeTimeoutMs?: number;
  /** Headers every backend call carries (identity of the verified principal); X-Request-Id is always added. */
  headers?: (principal: EdgeState['principal']) => Record<string, string>;
  clientOptions?: ServiceClientOptions;
  /** The protos and channels `grpc:` parts call; without them such parts are refused at start-up. */
  grpc?: ComposeGrpcDeps;
}

/** One part ready to run: over HTTP (`client`) or gRPC (`grpc`). */
interface Plan {
  part: ComposePart;
  client?: ServiceClient;
  /** The HTTP part's path, compiled. */
  path?: PathPiece[];
  /** Its metrics and span label. */
  operation: string;
  grpc?: GrpcPart;
  deps: string[];
}

/** One composed request, whoever received it: the Koa terminal or a direct route. */
export interface ComposeRequest {
  /** The client's response: its early close aborts every backend call. */
  res: ServerResponse;
  /** Decoded path parameters of the matched route. */
  params: Readonly<Record<string, string>>;
  /** The parsed query string (`?fields=`, gRPC request fields). */
  query: Readonly<Record<string, string | string[] | undefined>>;
  principal?: EdgeState['principal'];
  requestId: string;
  /** Where failed parts are logged: a logger, or a function making it on first use. */
  log?: LazyLogger;
  /** The route deadline (ms since the epoch). */
  deadline: number;
  /** The request's trace context (`ctx.state.trace`): every part's call joins its trace. */
  trace?: TraceContext;
}

/** A composed answer: its body, whether parts are missing from it, and the body as JSON. */
export interface ComposedAnswer {
  body: unknown;
  /** True when optional parts failed (`_errors`): such an answer must not be cached. */
  partial: boolean;
  /**
   * The body as compact JSON. Parts that reach it unchanged (no `fields` allow-list, kept whole by `?fields=`) are
   * copied as their backend sent them, already checked to be JSON (and UTF-8); the rest are serialised. Parsing each
   * answer is needed anyway; serialising it again was about a twentieth of a composed request's CPU.
   */
  json(): Buffer;
}

/** A composition built once at start-up: resolves with the answer, rejects with the EdgeError to answer. */
export type Composer = (request: ComposeRequest) => Promise<ComposedAnswer>;

/** What every part of one request shares. */
interface RunInput {
  /** HTTP parts' answers as their backends sent them, by key. */
  sent: Map<string, JsonBytes>;
  query: ComposeRequest['query'];
  deadline: Deadline;
  headers: Record<string, string>;
  params: Readonly<Record<string, string>>;
  upstreamOf: (key: string) => string;
  owner: OwnerCheck | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(value: unknown, field: readonly string[]): unknown {
  let at = value;
  for (const segment of field) at = isRecord(at) ? at[segment] : undefined;
  return at;
}

/** The principal's subject and which part's field must equal it (`spec.owner`). */
interface OwnerCheck extends PartRef {
  subject: string | undefined;
}

function keepFields(value: unknown, fields: readonly string[] | undefined): unknown {
  if (!fields) return value;
  const trim = (item: unknown) => (isRecord(item) ? Object.fromEntries(fields.filter((f) => Object.prototype.hasOwnProperty.call(item, f)).map((f) => [f, item[f]])) : item);
  return Array.isArray(value) ? value.map(trim) : trim(value);
}

/** A part's path template, split once at start-up: literal text, `{key.field}` references and `:param`s. */
type PathPiece = string | { key: string; field: string[] } | { param: string };

function compilePath(template: string): PathPiece[] {
  const pieces: PathPiece[] = [];
  let last = 0;
  for (const match of template.matchAll(/\{([^{}]*)\}|:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (match.index > last) pieces.push(template.slice(last, match.index));
    if (match[2] !== undefined) pieces.push({ param: match[2] });
    else {
      const [key = '', ...field] = (match[1] ?? '').split('.');
      pieces.push({ key, field });
    }
    last = match.index + match[0].length;
  }
  if (last < template.length) pieces.push(template.slice(last));
  return pieces;
}

function fillPath(pieces: readonly PathPiece[], params: Readonly<Record<string, string>>, answers: Map<string, unknown>, upstreamOf: (key: string) => string): string {
  let path = '';
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      path += piece;
    } else if ('param' in piece) {
      const value = params[piece.param];
      if (value === undefined) throw new EdgeError('INTERNAL', { detail: `path parameter ${piece.param} missing` });
      path += encodeURIComponent(value);
    } else {
      const value = valueAt(answers.get(piece.key), piece.field);
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
        throw new EdgeError('UPSTREAM_BAD_RESPONSE', { detail: `${serviceLabel(upstreamOf(piece.key))}: answer has no usable "${piece.field.join('.')}"` });
      }
      path += encodeURIComponent(String(value));
    }
  }
  return path;
}

function planOf(part: ComposePart, deps: ComposeDeps): Plan {
  if (part.grpc) {
    if (!deps.grpc) throw new Error(`compose: part ${part.key} calls gRPC, which this service does not offer`);
    try {
      return { part, grpc: new GrpcPart(part.key, part.grpc, deps.grpc), deps: dependencies(part), operation: `compose ${part.key}` };
    } catch (err) {
      throw new Error(`compose: part ${part.key}: ${(err as Error).message}`, { cause: err });
    }
  }
  const client = new ServiceClient(deps.upstreams.get(part.upstream ?? ''), deps.clientOptions);
  return { part, client, path: compilePath(part.path ?? ''), deps: dependencies(part), operation: `compose ${part.key}` };
}

/** Builds the composition once at start-up; unknown upstreams, gRPC methods or `:params` missing from the route path throw here. */
export function composer(spec: ComposeSpec, deps: ComposeDeps): Composer {
  const ordered = dependencyOrder(spec.parts);
  if (!ordered) throw new Error('compose: parts depend on each other in a cycle');
  const plans: Plan[] = ordered.map((part) => planOf(part, deps));
  if (deps.routePath !== undefined) {
    const routeParams = new Set(pathParams(deps.routePath));
    for (const { part } of plans) {
      for (const name of partParams(part)) if (!routeParams.has(name)) throw new Error(`compose: part ${part.key} uses :${name}, which ${deps.routePath} does not have`);
      for (const ref of partRefs(part)) if (typeof ref === 'string') throw new Error(`compose: part ${part.key} has a malformed reference ${ref}`);
    }
  }
  const upstreamNames = new Map(plans.map((p) => [p.part.key, p.grpc?.upstream ?? p.part.upstream ?? p.part.key]));
  const upstreamOf = (key: string) => upstreamNames.get(key) ?? key;
  const known: KnownFields = Object.fromEntries(spec.parts.map((p) => [p.key, p.fields ?? null]));
  const owner = spec.owner === undefined ? undefined : ownerRef(spec.owner);
  const dependedOn = new Set(plans.flatMap((plan) => plan.deps));
  // Every part null: what ?fields= is checked against before any backend is called.
  const emptyAnswer = Object.fromEntries(spec.parts.map((p) => [p.key, null]));

  return async function compose(request) {
    const { query, params } = request;
    // Validate ?fields= names up front: a 400 should not cost any backend calls.
    const fields = query.fields;
    if (fields !== undefined) selectFields(emptyAnswer, fields, known);
    // So is a path or query value that does not fit a gRPC request field.
    for (const plan of plans) plan.grpc?.check(params, query);
    const branch = branchDeadlineOf(request.res, request.deadline, spec.margin, request.trace);
    const headers = { ...deps.headers?.(request.principal), 'x-request-id': request.requestId };
    try {
      const check = owner && { ...owner, subject: request.principal?.subject };
      const input: RunInput = { sent: new Map(), query, deadline: branch.deadline, headers, params, upstreamOf, owner: check };
      const composed = await composeParts((parts) => run(plans, dependedOn, input, parts), { log: request.log });
      const body = fields === undefined ? composed : selectFields(composed, fields, known);
      return { body, partial: composed._errors !== undefined, json: () => composedJson(body, input.sent) };
    } catch (err) {
      // A required part failed: the answer is lost, so stop every branch still running for it.
      branch.cancel();
      throw err;
    }
  };
}

/** The Koa terminal of a `compose:` route. */
export function composeHandler(spec: ComposeSpec, deps: ComposeDeps): Middleware<EdgeState> {
  return composeTerminal(composer(spec, deps), deps.routeTimeoutMs);
}

/** The Koa terminal serving a composition (the same Composer a direct route answers with); `routeTimeoutMs`: when the chain set no deadline. */
export function composeTerminal(compose: Composer, routeTimeoutMs: number = DEFAULT_ROUTE_DEADLINE_MS): Middleware<EdgeState> {
  return async function composeRoute(ctx: EdgeContext) {
    const { state } = ctx;
    const answer = await compose({
      res: ctx.res,
      params: state.params ?? {},
      query: ctx.query,
      principal: state.principal,
      requestId: state.requestId,
      log: () => state.log,
      deadline: state.deadline ?? Date.now() + routeTimeoutMs,
      trace: state.trace,
    });
    ctx.status = 200;
    ctx.set('Content-Type', JSON_TYPE);
    ctx.body = answer.json();
    if (answer.partial) state.partial = true;
  };
}

/**
 * A `compose:` route with no edge functions served as a direct route: the same body as composeHandler's, written as
 * Koa writes a JSON body (compact, `application/json; charset=utf-8`, Content-Length; HEAD without the body).
 */
export function composeForwarder(compose: Composer, logger: EdgeLogger): Forwarder {
  return async function composeDirect(input) {
    const requestId = input.requestId ?? '';
    const answer = await compose({
      res: input.res,
      params: input.params,
      query: input.querystring === '' ? {} : parseQuery(input.querystring),
      requestId,
      // Failed parts are logged with the request id, as ctx.state.log does (made only then, as that one is).
      log: () => logger.child({ requestId }),
      deadline: input.deadline,
    });
    const json = answer.json();
    const headers = { 'content-type': JSON_TYPE, 'content-length': String(json.length) };
    return { status: 200, headers, body: input.method === 'HEAD' ? undefined : json };
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** ComposedAnswer.json(): the body as JSON.stringify writes it, with unchanged parts copied as sent. */
function composedJson(body: unknown, sent: ReadonlyMap<string, JsonBytes>): Buffer {
  if (sent.size === 0 || !isRecord(body)) return Buffer.from(JSON.stringify(body));
  const pieces: Buffer[] = [];
  let text = '{';
  let first = true;
  for (const key of Object.keys(body)) {
    const value = body[key];
    // Members JSON.stringify leaves out.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    text += `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    const bytes = sent.get(key);
    // The very value parsed from these bytes, so they say the same; UTF-8, as the rest of the answer is.
    if (bytes !== undefined && bytes.value === value && isUtf8(bytes.bytes)) {
      pieces.push(Buffer.from(text), bytes.bytes);
      text = '';
    } else text += JSON.stringify(value);
  }
  pieces.push(Buffer.from(`${text}}`));
  return Buffer.concat(pieces);
}

/** Fetches one part whose dependencies have answered; null when the backend says it is absent. */
async function fetchPart(plan: Plan, input: RunInput, answers: Map<string, unknown>): Promise<unknown> {
  const { part } = plan;
  if (plan.grpc) {
    const { query, deadline, params, headers, upstreamOf } = input;
    return plan.grpc.call({ params, query, answers, deadline, metadata: headers, timeoutMs: part.timeout, upstreamOf, operation: plan.operation });
  }
  const path = fillPath(plan.path ?? [], input.params, answers, input.upstreamOf);
  const reply = await (plan.client as ServiceClient).getJsonBytes(path, { deadline: input.deadline, headers: input.headers, operation: plan.operation, timeoutMs: part.timeout });
  const sent = reply?.body;
  if (sent === undefined || sent.value === null) return null;
  input.sent.set(part.key, sent);
  return sent.value;
}

async function run(plans: Plan[], dependedOn: ReadonlySet<string>, input: RunInput, parts: CompositionParts): Promise<Record<string, unknown>> {
  const { owner } = input;
  const answers = new Map<string, unknown>();
  const failures = new Map<string, EdgeError>();
  // `done` (parts others depend on only) never rejects: dependents wait on it. `results` is what the composition awaits.
  const done = new Map<string, Promise<unknown>>();
  const results: Array<Promise<unknown>> = [];
  for (const plan of plans) {
    const { part } = plan;
    const call = async (): Promise<unknown> => {
      try {
        if (plan.deps.length > 0) {
          await Promise.all(plan.deps.map((key) => done.get(key)));
          const failed = plan.deps.find((key) => failures.has(key));
          if (failed !== undefined) throw new EdgeError(failures.get(failed)?.code ?? 'UPSTREAM_ERROR', { detail: `not fetched: ${failed} failed` });
          // A dependency that is absent (404) leaves nothing to fetch: this part is absent too.
          if (plan.deps.some((key) => answers.get(key) === null)) {
            answers.set(part.key, null);
            return null;
          }
        }
        const answer = await fetchPart(plan, input, answers);
        if (answer === null && part.required) throw new EdgeError('NOT_FOUND', { detail: `${part.key} not found` });
        // Checked the moment the owning part answers: dependents are never started and running siblings are aborted.
        // Someone else's resource answers exactly like a missing one, so ids cannot be probed (requireOwner semantics).
        if (owner?.key === part.key && (owner.subject === undefined || valueAt(answer, owner.field) !== owner.subject)) {
          throw new EdgeError('NOT_FOUND', { detail: `${part.key} not found` });
        }
        answers.set(part.key, answer);
        return answer;
      } catch (err) {
        failures.set(part.key, partFault(err));
        throw err;
      }
    };
    // An optional part that is absent (404) is null without an _errors entry: absence is a valid answer.
    const result = part.required ? parts.required(part.key, call) : parts.optional(part.key, call);
    if (dependedOn.has(part.key)) done.set(part.key, result.catch(() => null));
    results.push(result);
  }
  const values = await Promise.all(results);
  return Object.fromEntries(plans.map((p, i) => [p.part.key, keepFields(values[i] ?? null, p.part.fields)]));
}
