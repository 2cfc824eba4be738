/**
 * Client-driven field selection: `?fields=order.state,delivery.eta` trims a composed body to the named dotted paths,
 * arrays element-wise; an unknown field is a 400 naming it; `_errors` is always kept. Which fields exist is the body's (or the spec's) say.
 */
import { EdgeError } from '@portico/edge';

/** Top-level keys a composition declares, each with its field allow-list (null: any field the backend sends). */
export type KnownFields = Readonly<Record<string, readonly string[] | null>>;

interface Tree {
  [segment: string]: Tree;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const MAX_FIELDS = 50;
const MAX_DEPTH = 8;

/** Parses `a.b,c` (or repeated `fields=` values) into a path tree; malformed → INVALID_QUERY. Empty → undefined. */
export function parseFields(param: string | string[] | undefined): Tree | undefined {
  const raw = (Array.isArray(param) ? param.join(',') : (param ?? '')).split(',').map((f) => f.trim()).filter(Boolean);
  if (raw.length === 0) return undefined;
  if (raw.length > MAX_FIELDS) throw new EdgeError('INVALID_QUERY', { detail: `fields: at most ${MAX_FIELDS} fields` });
  const tree: Tree = {};
  for (const field of raw) {
    const segments = field.split('.');
    if (segments.length > MAX_DEPTH || !segments.every((s) => SEGMENT.test(s))) {
      throw new EdgeError('INVALID_QUERY', { detail: `fields: "${field.slice(0, 100)}" is not a dotted field path` });
    }
    let node = tree;
    for (const segment of segments) node = node[segment] ??= {};
  }
  return tree;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownField(path: string): EdgeError {
  return new EdgeError('UNKNOWN_FIELD', { detail: `fields: unknown field "${path}"` });
}

// Trims `value` to `tree`. Null stops the walk (a failed optional part keeps its null). Arrays are mapped element-wise:
// a field is unknown only if no element has it, and elements lacking it simply omit it.
function pick(value: unknown, tree: Tree, prefix: string, strict = true): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) {
    for (const key of Object.keys(tree)) {
      const known = value.length === 0 || value.some((el) => Array.isArray(el) || (isRecord(el) && Object.prototype.hasOwnProperty.call(el, key)));
      if (!known) throw unknownField(`${prefix}${key}`);
    }
    return value.map((el) => (isRecord(el) || Array.isArray(el) ? pick(el, tree, prefix, false) : el));
  }
  if (!isRecord(value)) throw unknownField(`${prefix}${Object.keys(tree)[0] ?? ''}`);
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(tree)) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) {
      if (strict) throw unknownField(`${prefix}${key}`);
      continue;
    }
    out[key] = Object.keys(sub).length === 0 ? value[key] : pick(value[key], sub, `${prefix}${key}.`, strict);
  }
  return out;
}

/**
 * Trims `body` to the fields in `fieldsParam` (the raw `?fields=` value); no parameter → body unchanged.
 * With `known`, top-level keys and allow-listed second-level fields are checked against the spec, so a field a
 * backend happened to omit (or a part that failed) is still known; deeper fields are checked against the data.
 */
export function selectFields<T>(body: T, fieldsParam: string | string[] | undefined, known?: KnownFields): T | Record<string, unknown> {
  const tree = parseFields(fieldsParam);
  if (!tree || !isRecord(body)) return body;
  if (known) {
    for (const [key, sub] of Object.entries(tree)) {
      if (key === '_errors') continue;
      if (!Object.prototype.hasOwnProperty.call(known, key)) throw unknownField(key);
      const allow = known[key];
      if (allow) for (const field of Object.keys(sub)) if (!allow.includes(field)) throw unknownField(`${key}.${field}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(tree)) {
    if (key === '_errors') continue;
    const present = Object.prototype.hasOwnProperty.call(body, key);
    if (!present) {
      if (known) continue;
      throw unknownField(key);
    }
    const value = body[key];
    out[key] = Object.keys(sub).length === 0 ? value : known && known[key] && isRecord(value) ? pickKnown(value, sub, key) : pick(value, sub, `${key}.`);
  }
  if ('_errors' in body) out._errors = body._errors;
  return out;
}

// Second level already checked against the allow-list: a field the backend omitted is simply absent.
function pickKnown(value: Record<string, unknown>, tree: Tree, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, sub] of Object.entries(tree)) {
    if (!Object.prototype.hasOwnProperty.call(value, field)) continue;
    out[field] = Object.keys(sub).length === 0 ? value[field] : pick(value[field], sub, `${key}.${field}.`);
  }
  return out;
}
