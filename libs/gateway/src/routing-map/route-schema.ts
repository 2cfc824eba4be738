/**
 * The one `.strict()` schema of a route in routes.yaml: matching, target, header edits and the edge policy, whose
 * slices come from @portico/edge (auth, rateLimit, cache). Environment substitution and cross-route checks are load-routing-map.ts's job.
 */
import { z } from 'zod';
import { authPolicyShape, cachePolicySchema, compressPolicySchema, durationSchema, etagPolicySchema, rateLimitPolicySchema, sizeSchema } from '@portico/edge';
import { parsePattern, parameterNames, type PatternSegment } from './path-pattern';
import { isReservedHeader } from '../proxy/hop-by-hop';
import { composeSpecSchema, partParams } from '../compose/compose-schema';
import { grpcRouteProblems, grpcTargetSchema } from '../grpc/grpc-route-schema';

/** HTTP methods a route may name. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** One HTTP method a route may name. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

// RFC 9110 §9.2.1–2: methods that are safe (and so idempotent) are retried by default; PUT/DELETE only when declared.
const SAFE_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'OPTIONS'];
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** `${ORDER_SERVICE_URL}` followed by an optional path template. */
export const UPSTREAM_TEMPLATE = /^\$\{([A-Z][A-Z0-9_]*)\}(.*)$/;

const methodSchema = z.enum(HTTP_METHODS, { error: `expected one of ${HTTP_METHODS.join(', ')}` });

const patternSchema = z.string().superRefine((value, ctx) => {
  const parsed = parsePattern(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

const headerName = z
  .string()
  .regex(FIELD_NAME, 'expected a header name like "x-api-version"')
  .refine((name) => !isReservedHeader(name), {
    error: (issue) => `"${String(issue.input)}" is set by the proxy itself and cannot be added or removed by a route`,
  });
// RFC 9110 §5.5: no CR, LF or NUL in a field value.
const headerValue = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'expected a header value without control characters');

const upstreamSchema = z.string().superRefine((value, ctx) => {
  const m = UPSTREAM_TEMPLATE.exec(value);
  if (!m) {
    const literal = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
    ctx.addIssue({
      code: 'custom',
      message: literal
        ? `expected the host from an environment variable like "\${ORDER_SERVICE_URL}/orders/:orderId", got the literal host "${value}"`
        : `expected an upstream like "\${ORDER_SERVICE_URL}/orders/:orderId", got "${value}"`,
    });
    return;
  }
  const rest = m[2] ?? '';
  if (rest.includes('${')) ctx.addIssue({ code: 'custom', message: 'only the host may come from an environment variable' });
  else if (rest !== '') {
    const parsed = parsePattern(rest);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `upstream path: ${parsed}` });
  }
});

// zod's conversion ignores a `required` name that `properties` does not declare; refuse it rather than let it pass unchecked.
function undeclaredRequired(schema: unknown, at = 'body'): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const node = schema as { required?: unknown; properties?: Record<string, unknown> };
  if (Array.isArray(node.required)) {
    const missing = node.required.filter((name) => typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(node.properties ?? {}, name));
    if (missing.length > 0) return `${at}: required ${missing.map((n) => `"${String(n)}"`).join(', ')} must also be listed under properties`;
  }
  for (const [key, child] of Object.entries(schema)) {
    const found = typeof child === 'object' ? undeclaredRequired(child, `${at}.${key}`) : undefined;
    if (found) return found;
  }
  return undefined;
}

// A JSON Schema subset, compiled with zod 4's z.fromJSONSchema (the same conversion compile-routes.ts runs at start-up).
const jsonSchemaObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  try {
    z.fromJSONSchema(value as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `expected a JSON Schema object: ${(err as Error).message}` });
    return;
  }
  const problem = undeclaredRequired(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The `policy` block of a route: edge slices plus timeout, retries, body limit and body schema. */
export const routePolicySchema = z
  .object({
    ...authPolicyShape,
    rateLimit: rateLimitPolicySchema.optional(),
    cache: cachePolicySchema.optional(),
    /** brotli/gzip of the answer for clients that accept it; off unless set (docs/edge-defaults.md). */
    compress: compressPolicySchema.optional(),
    /** ETag on 200s to GET/HEAD and 304 for a client whose copy is current; off unless set (docs/edge-defaults.md). */
    etag: etagPolicySchema,
    /** Route deadline shared by every try and branch (docs/edge-defaults.md: 5 s). */
    timeout: durationSchema.refine((ms) => ms > 0 && ms <= 600_000, 'expected a duration between 1ms and 10m').default(5_000),
    /** At most 2 (docs/edge-defaults.md); the default is 2 for GET/HEAD/OPTIONS and 0 otherwise. */
    retries: z.number().int().min(0).max(2, 'expected at most 2 retries').optional(),
    /** Largest request body; absent means MAX_BODY_SIZE (1 MiB by default). */
    bodyLimit: sizeSchema.optional(),
    /** JSON Schema the request body must satisfy (422 otherwise); the body is then read, not streamed. */
    body: jsonSchemaObject.optional(),
  })
  .strict();

const rewriteSchema = z
  .object({ stripPrefix: patternSchema.optional(), addPrefix: patternSchema.optional() })
  .strict()
  .refine((r) => r.stripPrefix !== undefined || r.addPrefix !== undefined, 'expected stripPrefix and/or addPrefix');

const routeObjectSchema = z
  .object({
    id: z.string().regex(KEBAB, 'expected a kebab-case id like "get-order-details"'),
    method: z
      .union([methodSchema, z.array(methodSchema).min(1)], { error: `expected one of ${HTTP_METHODS.join(', ')} or a list of them` })
      .transform((m) => [...new Set(Array.isArray(m) ? m : [m])]),
    path: patternSchema,
    upstream: upstreamSchema.optional(),
    handler: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'expected a handler name like "getOrderDetails"')
      .optional(),
    /** Declarative composition of several upstream calls (compose/compose-schema.ts). */
    compose: composeSpecSchema.optional(),
    /** A unary gRPC method the route maps onto (grpc/grpc-route-schema.ts). */
    grpc: grpcTargetSchema.optional(),
    rewrite: rewriteSchema.optional(),
    headers: z
      .object({ add: z.record(headerName, headerValue).default({}), remove: z.array(headerName).default([]) })
      .strict()
      .prefault({}),
    /** Authorization reaches the upstream only when the route says so; the principal headers always do. */
    forwardAuthorization: z.boolean().default(false),
    /** Declares PUT/DELETE safe to retry (RFC 9110 §9.2.2). */
    idempotent: z.boolean().default(false),
    policy: routePolicySchema.prefault({}),
  })
  .strict();

/** The schema of one route; unknown keys anywhere are errors. */
export const routeSchema = routeObjectSchema
  .superRefine(crossFieldChecks)
  .transform((route) => ({ ...route, policy: { ...route.policy, retries: route.policy.retries ?? defaultRetries(route.method) } }));

/** A route as validated by routeSchema, before environment substitution. */
export type RouteSpec = z.output<typeof routeSchema>;

/** A route's validated policy, with retries resolved. */
export type RoutePolicy = RouteSpec['policy'];

function defaultRetries(methods: readonly HttpMethod[]): number {
  return methods.every((m) => SAFE_METHODS.includes(m)) ? 2 : 0;
}

type RouteInput = z.output<typeof routeObjectSchema>;

function crossFieldChecks(route: RouteInput, ctx: z.RefinementCtx): void {
  const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const targets = (['upstream', 'handler', 'compose', 'grpc'] as const).filter((key) => route[key] !== undefined);
  const kinds = route.grpc ? 'upstream, handler, compose or grpc' : 'upstream, handler or compose';
  if (targets.length !== 1) problem([], `expected exactly one of ${kinds}${targets.length ? `, got ${targets.join(' and ')}` : ''}`);
  const pattern = parsePattern(route.path);
  if (typeof pattern === 'string') return;
  const methods = route.method;
  checkUpstreamPath(route, pattern, problem);
  if (route.rewrite && !route.upstream) problem(['rewrite'], 'rewrite applies to upstream routes only');
  const routeParams = new Set(parameterNames(pattern));
  if (route.grpc) for (const p of grpcRouteProblems(route.grpc, routeParams, methods)) problem(p.path, p.message);
  route.compose?.parts.forEach((part, i) => {
    for (const name of partParams(part)) {
      if (!routeParams.has(name)) problem(['compose', 'parts', i, part.grpc ? 'grpc' : 'path'], `parameter "${name}" is not in the route path "${route.path}"`);
    }
  });
  const { retries, cache, body, auth, scopes, roles } = route.policy;
  if (auth === 'none' && (scopes.length > 0 || roles.length > 0)) problem(['policy', 'auth'], 'scopes and roles need auth: required or optional');
  if (retries !== undefined && retries > 0) {
    const unsafe = methods.filter((m) => m === 'POST' || m === 'PATCH');
    if (unsafe.length) problem(['policy', 'retries'], `${unsafe.join(' and ')} requests are sent at most once; expected 0`);
    else if (methods.some((m) => m === 'PUT' || m === 'DELETE') && !route.idempotent) {
      problem(['policy', 'retries'], 'PUT and DELETE are retried only when the route declares idempotent: true');
    }
  }
  if (cache && methods.some((m) => m !== 'GET' && m !== 'HEAD')) problem(['policy', 'cache'], 'caching applies to GET and HEAD routes only');
  if (body && methods.every((m) => SAFE_METHODS.includes(m))) problem(['policy', 'body'], 'a body schema needs a POST, PUT, PATCH or DELETE route');
}

function checkUpstreamPath(route: RouteInput, pattern: PatternSegment[], problem: (path: string[], message: string) => void): void {
  if (route.rewrite?.stripPrefix) {
    const prefix = parsePattern(route.rewrite.stripPrefix);
    const matches =
      typeof prefix !== 'string' && prefix.every((s, i) => s.kind === 'literal' && pattern[i]?.kind === 'literal' && pattern[i].value === s.value);
    if (!matches) problem(['rewrite', 'stripPrefix'], `expected a literal prefix of "${route.path}", got "${route.rewrite.stripPrefix}"`);
  }
  const m = route.upstream ? UPSTREAM_TEMPLATE.exec(route.upstream) : null;
  if (!m || !m[2]) return;
  if (route.rewrite) problem(['rewrite'], 'give the upstream path in upstream or use rewrite, not both');
  const target = parsePattern(m[2]);
  if (typeof target === 'string') return;
  const kinds = new Map(pattern.flatMap((s) => (s.kind === 'literal' ? [] : [[s.name, s.kind] as const])));
  for (const name of parameterNames(target)) {
    const segment = target.find((s) => s.kind !== 'literal' && s.name === name);
    if (!kinds.has(name)) problem(['upstream'], `parameter "${name}" is not in the route path "${route.path}"`);
    else if (kinds.get(name) !== segment?.kind) problem(['upstream'], `parameter "${name}" must be written as in the route path ("${route.path}")`);
  }
}
