/**
 * A segment trie from method + path pattern to a value, matched against already-normalised paths. Literal segments
 * win over parameters, parameters over catch-alls. Normalising the path and running the route's chain is router.ts's job.
 */
import { decodeSegment } from '../routing-map/normalise-path';
import type { PatternSegment } from '../routing-map/path-pattern';

interface Entry<T> {
  value: T;
  /** Parameter names in path order; the last is the catch-all when the entry sits on a `rest` node. */
  names: readonly string[];
}

interface TrieNode<T> {
  literal: Map<string, TrieNode<T>>;
  param?: TrieNode<T>;
  /** Routes ending in a catch-all under this node. */
  rest?: Map<string, Entry<T>>;
  methods: Map<string, Entry<T>>;
}

/** The result of a lookup: a match, a known path with other methods (405), or nothing (404). */
export type TableMatch<T> =
  { kind: 'found'; value: T; params: Record<string, string> } | { kind: 'method-not-allowed'; allow: string[] } | { kind: 'not-found' };

function node<T>(): TrieNode<T> {
  return { literal: new Map(), methods: new Map() };
}

/** Method + pattern → value, built once per routing-map version and read-only afterwards. */
export class RouteTable<T> {
  private readonly root: TrieNode<T> = node();

  /** Adds a value under each method; a second value for the same method and shape throws (the loader reports it first). */
  insert(methods: readonly string[], pattern: readonly PatternSegment[], value: T): void {
    let current = this.root;
    const names: string[] = [];
    let target: Map<string, Entry<T>> | undefined;
    for (const segment of pattern) {
      if (segment.kind === 'literal') {
        let next = current.literal.get(segment.value);
        if (!next) current.literal.set(segment.value, (next = node()));
        current = next;
      } else if (segment.kind === 'param') {
        current = current.param ??= node();
        names.push(segment.name);
      } else {
        target = current.rest ??= new Map();
        names.push(segment.name);
      }
    }
    target ??= current.methods;
    for (const method of methods) {
      if (target.has(method)) throw new Error(`duplicate route for ${method}`);
      target.set(method, { value, names });
    }
  }

  /** Looks up a normalised path; HEAD falls back to GET (RFC 9110 §9.3.2). */
  match(method: string, path: string): TableMatch<T> {
    const segments = path === '/' ? [] : path.slice(1).split('/');
    // Methods seen at matching paths, for a 405; a Set is made only then.
    const seen: string[] = [];
    const found = this.search(this.root, segments, 0, [], method, seen);
    if (found) {
      const params: Record<string, string> = {};
      const { entry, captured } = found;
      entry.names.forEach((name, i) => (params[name] = captured[i] ?? ''));
      return { kind: 'found', value: entry.value, params };
    }
    if (seen.length === 0) return { kind: 'not-found' };
    const allow = new Set(seen);
    if (allow.has('GET')) allow.add('HEAD');
    return { kind: 'method-not-allowed', allow: [...allow].sort() };
  }

  private search(
    current: TrieNode<T>,
    segments: readonly string[],
    index: number,
    captured: string[],
    method: string,
    allow: string[],
  ): { entry: Entry<T>; captured: string[] } | undefined {
    if (index === segments.length) return pick(current.methods, method, captured, allow);
    const segment = segments[index] as string;
    const literal = current.literal.get(segment);
    const viaLiteral = literal && this.search(literal, segments, index + 1, captured, method, allow);
    if (viaLiteral) return viaLiteral;
    if (current.param) {
      const viaParam = this.search(current.param, segments, index + 1, [...captured, decodeSegment(segment)], method, allow);
      if (viaParam) return viaParam;
    }
    if (current.rest) {
      const rest = segments.slice(index).map(decodeSegment).join('/');
      return pick(current.rest, method, [...captured, rest], allow);
    }
    return undefined;
  }
}

function pick<T>(entries: Map<string, Entry<T>>, method: string, captured: string[], allow: string[]): { entry: Entry<T>; captured: string[] } | undefined {
  const entry = entries.get(method) ?? (method === 'HEAD' ? entries.get('GET') : undefined);
  if (entry) return { entry, captured };
  for (const known of entries.keys()) allow.push(known);
  return undefined;
}
