/**
 * Checks and converts values bound for a gRPC request message against its proto type: text from the path or query
 * becomes the field's type, JSON from a body must already have it. Unknown fields, out-of-range integers and unknown
 * enum names are problems the caller turns into a 400/422, instead of protobufjs silently coercing them to defaults.
 */
import { Enum, Type, type Field } from 'protobufjs';

/** Where a value came from: text (path, query) is converted, JSON (body) is checked. */
export type ValueSource = 'text' | 'json';

/** One problem with one field, named by its path in the request (`body.lineItems.0.quantity`). */
export interface ShapeProblem {
  field: string;
  message: string;
}

const RANGES: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const LONG = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const INTEGER_TEXT = /^-?\d{1,20}$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

class Problem extends Error {}

function integer(type: string, value: unknown, source: ValueSource): number | string {
  const [min, max] = RANGES[type] as readonly [bigint, bigint];
  let big: bigint;
  if (typeof value === 'number' && source === 'json') {
    if (!Number.isInteger(value)) throw new Problem('expected an integer');
    // A JSON number past 2^53 has already lost digits; proto3 JSON sends 64-bit integers as strings for this reason.
    if (!Number.isSafeInteger(value)) throw new Problem('expected a 64-bit integer as a decimal string (a JSON number loses precision past 2^53)');
    big = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) big = BigInt(value);
  else throw new Problem('expected an integer');
  if (big < min || big > max) throw new Problem(`expected an integer from ${min} to ${max}`);
  // 64-bit values travel as decimal strings end to end (PROTO_LOADER_OPTIONS longs: String), never as doubles.
  return LONG.has(type) ? big.toString() : Number(big);
}

function scalar(type: string, value: unknown, source: ValueSource): unknown {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw new Problem('expected a string');
      return value;
    case 'bytes':
      if (typeof value !== 'string' || !BASE64.test(value)) throw new Problem('expected base64 text');
      return value;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (source === 'text' && (value === 'true' || value === 'false')) return value === 'true';
      throw new Problem('expected true or false');
    case 'double':
    case 'float': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw new Problem('expected a number');
      return n;
    }
    default:
      return integer(type, value, source);
  }
}

function enumName(type: Enum, value: unknown): string {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(type.values, value)) return value;
  const number = typeof value === 'number' ? value : typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : NaN;
  const name = Number.isInteger(number) ? type.valuesById[number] : undefined;
  if (name !== undefined) return name;
  throw new Problem(`expected one of ${Object.keys(type.values).join(', ')}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function single(field: Field, value: unknown, source: ValueSource, at: string, problems: ShapeProblem[]): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof Enum) return enumName(resolved, value);
  if (resolved instanceof Type) {
    if (source === 'text' || !isObject(value)) throw new Problem('expected an object');
    return conformMessage(resolved, value, at, problems);
  }
  return scalar(field.type, value, source);
}

/** Converts (text) or checks (JSON) one value for `field`, appending problems under `at`; undefined when it had problems. */
export function conformField(field: Field, value: unknown, source: ValueSource, at: string, problems: ShapeProblem[]): unknown {
  const guarded = (v: unknown, path: string): unknown => {
    try {
      return single(field, v, source, path, problems);
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      problems.push({ field: path, message: err.message });
      return undefined;
    }
  };
  if (field.map) {
    if (!isObject(value)) {
      problems.push({ field: at, message: 'expected an object' });
      return undefined;
    }
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, guarded(v, `${at}.${key}`)]));
  }
  if (field.repeated) {
    // A query parameter given once is a list of one.
    const list = Array.isArray(value) ? value : source === 'text' ? [value] : undefined;
    if (!list) {
      problems.push({ field: at, message: 'expected a list' });
      return undefined;
    }
    return list.map((v, i) => guarded(v, `${at}.${i}`));
  }
  return guarded(value, at);
}

/** Checks a JSON object against a message type: unknown members are problems, null members are left unset. */
export function conformMessage(type: Type, value: Record<string, unknown>, at: string, problems: ShapeProblem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : key;
    const field = type.fields[key];
    if (!field) {
      // The virtual oneof member (`oneofs: true`) a client may echo back from a response says nothing new.
      if (type.oneofs?.[key] === undefined) problems.push({ field: path, message: `unknown field (expected one of ${Object.keys(type.fields).join(', ')})` });
      continue;
    }
    if (member === null || member === undefined) continue;
    out[key] = conformField(field, member, 'json', path, problems);
  }
  return out;
}

/** The field at a dotted path of a message type (`location.lat`), or a message saying why there is none. */
export function fieldAt(type: Type, path: readonly string[]): Field | string {
  let current = type;
  for (const [i, name] of path.entries()) {
    const field = current.fields[name];
    if (!field) return `no field "${name}" in ${current.fullName.slice(1)} (fields: ${Object.keys(current.fields).join(', ') || 'none'})`;
    if (i === path.length - 1) return field;
    if (!(field.resolvedType instanceof Type) || field.repeated || field.map) return `"${path.slice(0, i + 1).join('.')}" is not a single message, so it has no fields`;
    current = field.resolvedType;
  }
  return 'empty field path';
}

/** True for a field that a single path or query value can fill: a scalar or enum, or a list of them. */
export function takesText(field: Field): boolean {
  return !(field.resolvedType instanceof Type) && !field.map;
}
