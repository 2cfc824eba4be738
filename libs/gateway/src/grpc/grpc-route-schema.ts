/**
 * The `grpc:` terminal of a routing-map route: which backend (its address from the environment), which unary method,
 * and where each request field comes from. Checking the mapping against the proto types is grpc-route.ts's job, at start-up.
 *
 *   grpc:
 *     upstream: ${KITCHEN_GRPC_ADDRESS}
 *     service: portico.kitchen.v1.KitchenService
 *     method: GetTicket
 *     request: { orderId: ':orderId', verbose: 'query.verbose', 'note.text': 'body.note', '*': 'body' }
 */
import { z } from 'zod';

const ADDRESS_TEMPLATE = /^\$\{([A-Z][A-Z0-9_]*)\}$/;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,7}$/;
const SERVICE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SOURCE = /^(:[A-Za-z_][A-Za-z0-9_]*|query\.[A-Za-z0-9_.~-]+|body(\.[A-Za-z_][A-Za-z0-9_-]*){0,8})$/;

/** Where one request field's value comes from. */
export type RequestSource = { kind: 'path'; name: string } | { kind: 'query'; name: string } | { kind: 'body'; path: string[] };

/** Parses a validated source: `:orderId`, `query.since`, `body`, `body.note.text`. */
export function parseSource(text: string): RequestSource {
  if (text.startsWith(':')) return { kind: 'path', name: text.slice(1) };
  if (text.startsWith('query.')) return { kind: 'query', name: text.slice('query.'.length) };
  return { kind: 'body', path: text === 'body' ? [] : text.slice('body.'.length).split('.') };
}

/** The variable a `${KITCHEN_GRPC_ADDRESS}` upstream names. */
export function addressVariable(upstream: string): string {
  return ADDRESS_TEMPLATE.exec(upstream)?.[1] ?? '';
}

/** Which backend and method a `grpc:` block calls; shared by routes and composition parts (compose/grpc-part.ts). */
export const grpcMethodShape = {
  /** The backend's `host:port`, only ever from an environment variable. */
  upstream: z.string().regex(ADDRESS_TEMPLATE, 'expected the address from an environment variable like "${KITCHEN_GRPC_ADDRESS}", and nothing else'),
  /** Fully qualified service name from the .proto (`portico.kitchen.v1.KitchenService`). */
  service: z.string().regex(SERVICE, 'expected a fully qualified service like "portico.kitchen.v1.KitchenService"'),
  /** A unary method of the service (`GetTicket`). */
  method: z.string().regex(NAME, 'expected a method name like "GetTicket"'),
};

/** A request field a mapping fills: lowerCamelCase, dotted for nested messages (`orderId`, `location.lat`). */
export const requestFieldSchema = z.string().regex(FIELD_PATH, 'expected a request field like "orderId" or "location.lat"');

/** The `grpc:` block of a route. */
export const grpcTargetSchema = z
  .object({
    ...grpcMethodShape,
    /**
     * Request field (lowerCamelCase, dotted for nested messages) → source: `:param` (path), `query.name`, `body.a.b` or
     * `body` (a JSON value). The key `*` with `body` merges the whole JSON body into the request first (google.api.http `body: "*"`).
     */
    request: z
      .record(
        z.string().refine((key) => key === '*' || FIELD_PATH.test(key), 'expected a request field like "orderId" or "location.lat", or "*"'),
        z.string().regex(SOURCE, 'expected ":param", "query.name", "body" or "body.field"'),
      )
      .default({}),
  })
  .strict()
  .superRefine((target, ctx) => {
    if (target.request['*'] !== undefined && target.request['*'] !== 'body') ctx.addIssue({ code: 'custom', path: ['request', '*'], message: 'only "body" can fill the whole request' });
  });

/** A validated `grpc:` block. */
export type GrpcTarget = z.output<typeof grpcTargetSchema>;

/** Problems of a `grpc:` block that need the rest of the route: unknown path parameters, body sources on GET routes. */
export function grpcRouteProblems(target: GrpcTarget, routeParams: ReadonlySet<string>, methods: readonly string[]): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  for (const [field, text] of Object.entries(target.request)) {
    const source = parseSource(text);
    if (source.kind === 'path' && !routeParams.has(source.name)) problems.push({ path: ['grpc', 'request', field], message: `parameter "${source.name}" is not in the route path` });
    if (source.kind === 'body' && methods.every((m) => m === 'GET' || m === 'HEAD' || m === 'OPTIONS')) {
      problems.push({ path: ['grpc', 'request', field], message: 'a body source needs a POST, PUT, PATCH or DELETE route' });
    }
  }
  return problems;
}
