/**
 * A `grpc:` route's `request:` mapping, checked against the request message type once at start-up and applied per
 * request: path parameters and query values converted to the field types, JSON body values checked, nested fields filled.
 * Invalid input is a 400 (path), INVALID_QUERY (query) or 422 listing every field (body).
 */
import type { Type } from 'protobufjs';
import { EdgeError, type ErrorCode } from '@portico/edge';
import { conformField, conformMessage, fieldAt, takesText, type ShapeProblem } from './message-shape';
import { parseSource, type RequestSource } from './grpc-route-schema';
import type { Field } from 'protobufjs';

/** One compiled `field: source` entry. */
interface Binding {
  target: string[];
  field: Field;
  source: RequestSource;
}

/** A request mapping ready to apply. */
export interface RequestPlan {
  readonly type: Type;
  /** `'*': 'body'`: the JSON body is the request, before the other bindings apply. */
  readonly wholeBody: boolean;
  readonly bindings: readonly Binding[];
  /** True when any value comes from the body, so it must be read. */
  readonly readsBody: boolean;
  /** Top-level body members another binding takes (`body.comment`); the whole-body merge leaves them out. */
  readonly consumed: ReadonlySet<string>;
}

/** What a request offers the mapping. */
export interface RequestInput {
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body (undefined when the route reads none). */
  body?: unknown;
}

/** Checks every binding against the message type; throws one Error listing every problem. */
export function compileRequestPlan(request: Readonly<Record<string, string>>, type: Type): RequestPlan {
  const problems: string[] = [];
  const bindings: Binding[] = [];
  for (const [key, text] of Object.entries(request)) {
    if (key === '*') continue;
    const target = key.split('.');
    const field = fieldAt(type, target);
    const source = parseSource(text);
    if (typeof field === 'string') problems.push(`request.${key}: ${field}`);
    else if (source.kind !== 'body' && !takesText(field)) problems.push(`request.${key}: a message field takes its value from the body, not from "${text}"`);
    else bindings.push({ target, field, source });
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  const wholeBody = request['*'] === 'body';
  const consumed = new Set(bindings.flatMap((b) => (b.source.kind === 'body' && b.source.path[0] !== undefined ? [b.source.path[0]] : [])));
  return { type, wholeBody, bindings, readsBody: wholeBody || bindings.some((b) => b.source.kind === 'body'), consumed };
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const segment of path) at = typeof at === 'object' && at !== null && !Array.isArray(at) ? (at as Record<string, unknown>)[segment] : undefined;
  return at;
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = target;
  for (const segment of path.slice(0, -1)) {
    const next = at[segment];
    at = (at[segment] = typeof next === 'object' && next !== null ? next : {}) as Record<string, unknown>;
  }
  at[path[path.length - 1] as string] = value;
}

const CODE_BY_SOURCE: Record<RequestSource['kind'], ErrorCode> = { path: 'BAD_REQUEST', query: 'INVALID_QUERY', body: 'VALIDATION_FAILED' };

/** Builds the request message; throws an EdgeError naming every field that does not fit. */
export function buildRequest(plan: RequestPlan, input: RequestInput): Record<string, unknown> {
  const problems: Array<ShapeProblem & { kind: RequestSource['kind'] }> = [];
  const collect = (kind: RequestSource['kind'], found: ShapeProblem[]) => problems.push(...found.map((p) => ({ ...p, kind })));
  let message: Record<string, unknown> = {};
  if (plan.wholeBody) {
    const found: ShapeProblem[] = [];
    const body = input.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) found.push({ field: 'body', message: 'expected a JSON object' });
    else {
      const rest = Object.fromEntries(Object.entries(body).filter(([key]) => !plan.consumed.has(key)));
      message = conformMessage(plan.type, rest, 'body', found);
    }
    collect('body', found);
  }
  for (const { target, field, source } of plan.bindings) {
    const found: ShapeProblem[] = [];
    let raw: unknown;
    let at: string;
    if (source.kind === 'path') [raw, at] = [input.params[source.name], `path parameter ${source.name}`];
    else if (source.kind === 'query') [raw, at] = [input.query[source.name], `query parameter ${source.name}`];
    else [raw, at] = [valueAt(input.body, source.path), ['body', ...source.path].join('.')];
    if (raw === undefined || raw === null) continue;
    if (source.kind === 'query' && Array.isArray(raw) && !field.repeated) found.push({ field: at, message: 'expected one value, got several' });
    else setAt(message, target, conformField(field, raw, source.kind === 'body' ? 'json' : 'text', at, found));
    collect(source.kind, found);
  }
  if (problems.length === 0) return message;
  // The most basic source decides the status: a bad path beats a bad query beats a bad body.
  const kind = (['path', 'query', 'body'] as const).find((k) => problems.some((p) => p.kind === k)) ?? 'body';
  const errors = problems.map(({ field, message: text }) => ({ field, message: text }));
  throw new EdgeError(CODE_BY_SOURCE[kind], { detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '), extensions: kind === 'body' ? { errors } : undefined });
}
