/**
 * The `compose:` section of a routing-map route: backends called in parallel over HTTP (`upstream` + `path`) or gRPC
 * (`grpc:`, grpc-part.ts), dependent ones using fields of an earlier answer (`{order.restaurantId}`), the key each
 * result goes under and a field allow-list. Running it is declarative.ts's job.
 */
import { z } from 'zod';
import { durationSchema } from '@portico/edge';
import { composeGrpcSchema, sourceParams, sourceRef } from './grpc-part';

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;
const REF = /\{([^{}]*)\}/g;
const OWNER = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){1,8}$/;

/** One backend call of a composition. */
export const composePartSchema = z
  .object({
    /** Where the result goes in the composed body (`order`). */
    key: z.string().regex(KEY, 'expected an identifier like "order"'),
    /** The upstream's name (`order`), as given to createUpstreams; with `path`, for an HTTP part. */
    upstream: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'expected an upstream name like "order"').optional(),
    /** Path on the upstream: `:param` from the request path, `{key.field}` from an earlier part's answer. */
    path: z.string().startsWith('/', 'expected a path beginning with /').optional(),
    /** Instead of `upstream` and `path`: a unary gRPC method, its request mapped from the path, query or earlier answers. */
    grpc: composeGrpcSchema.optional(),
    /** A failed required part fails the answer; a failed optional part becomes null plus an `_errors` entry. */
    required: z.boolean().default(false),
    /** Top-level fields of the backend's answer to keep; absent → all. */
    fields: z.array(z.string().regex(FIELD, 'expected a field name')).min(1).optional(),
    /** Per-try timeout for this part, e.g. "800ms" (never beyond the route deadline). */
    timeout: durationSchema.optional(),
  })
  .strict()
  .superRefine((part, ctx) => {
    if (part.grpc && (part.upstream !== undefined || part.path !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['grpc'], message: 'a part calls either grpc or upstream and path, not both' });
    }
    if (part.grpc) return;
    if (part.upstream === undefined) ctx.addIssue({ code: 'custom', path: ['upstream'], message: 'expected an upstream name with path, or a grpc block' });
    if (part.path === undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: 'expected a path with upstream, or a grpc block' });
  });

/** A reference to an earlier part's field inside a path: `{order.restaurantId}` → { key: order, field: [restaurantId] }. */
export interface PartRef {
  key: string;
  field: string[];
}

/** The `{key.field}` references in a part path (syntax errors → undefined entries are reported by the schema). */
export function pathRefs(path: string): Array<PartRef | string> {
  return [...path.matchAll(REF)].map((m) => {
    const segments = (m[1] ?? '').split('.');
    const [key, ...field] = segments;
    if (!key || !KEY.test(key) || field.length === 0 || !field.every((f) => FIELD.test(f))) return `{${m[1] ?? ''}}`;
    return { key, field };
  });
}

/** Splits a validated `owner` (`order.consumerId`) into the part key and the field path inside its answer. */
export function ownerRef(owner: string): PartRef {
  const [key = '', ...field] = owner.split('.');
  return { key, field };
}

/** The `:param` names a part path takes from the request path. */
export function pathParams(path: string): string[] {
  return [...path.replace(REF, '').matchAll(PARAM)].map((m) => m[1] ?? '');
}

/** What ordering and checking need of a part, HTTP or gRPC. */
export interface PartShape {
  key: string;
  path?: string;
  grpc?: { request: Readonly<Record<string, string>> };
}

/** The earlier answers a part reads: `{key.field}` in its path or in its gRPC request sources (malformed ones as text). */
export function partRefs(part: PartShape): Array<PartRef | string> {
  if (part.grpc) return Object.values(part.grpc.request).flatMap((text) => sourceRef(text) ?? []);
  return part.path === undefined ? [] : pathRefs(part.path);
}

/** The `:param` names a part takes from the request path. */
export function partParams(part: PartShape): string[] {
  if (part.grpc) return sourceParams(part.grpc.request);
  return part.path === undefined ? [] : pathParams(part.path);
}

/** The keys of the parts `part` depends on. */
export function dependencies(part: PartShape): string[] {
  return [...new Set(partRefs(part).flatMap((r) => (typeof r === 'string' ? [] : [r.key])))];
}

/** Parts in an order where every dependency comes before its dependents; undefined when there is a cycle. */
export function dependencyOrder<P extends PartShape>(parts: readonly P[]): P[] | undefined {
  const byKey = new Map(parts.map((p) => [p.key, p]));
  const state = new Map<string, 'visiting' | 'done'>();
  const ordered: P[] = [];
  const visit = (part: P): boolean => {
    const s = state.get(part.key);
    if (s === 'done') return true;
    if (s === 'visiting') return false;
    state.set(part.key, 'visiting');
    for (const dep of dependencies(part)) {
      const next = byKey.get(dep);
      if (next && !visit(next)) return false;
    }
    state.set(part.key, 'done');
    ordered.push(part);
    return true;
  };
  return parts.every(visit) ? ordered : undefined;
}

/** The `compose:` section of a route: parts plus the margin each branch leaves for building the answer. */
export const composeSpecSchema = z
  .object({
    parts: z.array(composePartSchema).min(1).max(16),
    /** Time reserved after the branches to build the answer, e.g. "50ms" (docs/style.md › Errors). */
    margin: durationSchema.default(50),
    /**
     * `order.consumerId`: once that required part answers, the field must equal the principal's subject, else the
     * route answers 404 exactly as for a missing resource (requireOwner semantics) and no other part's data is sent.
     */
    owner: z.string().regex(OWNER, 'expected a field of a part like "order.consumerId"').optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const keys = new Set<string>();
    spec.parts.forEach((part, i) => {
      if (keys.has(part.key)) ctx.addIssue({ code: 'custom', path: ['parts', i, 'key'], message: `duplicate key "${part.key}"` });
      keys.add(part.key);
    });
    spec.parts.forEach((part, i) => {
      const at = ['parts', i, part.grpc ? 'grpc' : 'path'];
      for (const ref of partRefs(part)) {
        if (typeof ref === 'string') ctx.addIssue({ code: 'custom', path: at, message: `expected a reference like {order.restaurantId}, got "${ref}"` });
        else if (ref.key === part.key) ctx.addIssue({ code: 'custom', path: at, message: `"${part.key}" cannot use its own answer` });
        else if (!keys.has(ref.key)) ctx.addIssue({ code: 'custom', path: at, message: `unknown part "${ref.key}" in {${ref.key}.${ref.field.join('.')}}` });
      }
    });
    if (!dependencyOrder(spec.parts)) ctx.addIssue({ code: 'custom', path: ['parts'], message: 'parts depend on each other in a cycle' });
    if (spec.owner !== undefined) {
      const { key } = ownerRef(spec.owner);
      const part = spec.parts.find((p) => p.key === key);
      if (!part) ctx.addIssue({ code: 'custom', path: ['owner'], message: `unknown part "${key}"` });
      // An optional owning part that failed would leave nothing to check ownership against.
      else if (!part.required) ctx.addIssue({ code: 'custom', path: ['owner'], message: `the owning part "${key}" must be required: true` });
    }
  });

/** A validated `compose:` section. */
export type ComposeSpec = z.output<typeof composeSpecSchema>;
/** One validated part. */
export type ComposePart = ComposeSpec['parts'][number];
