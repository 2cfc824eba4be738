/**
 * Builds the OpenAPI 3.1 document of the public API from the routing map in force plus the hand-written operation
 * docs: paths, security and scopes, quotas and RateLimit headers, and the create-order body schema all come from
 * routes.yaml, so the document describes what the edge enforces. Serving it is the getOpenApi handler's job.
 */
import type { RouteDefinition } from '@portico/gateway';
import { operationDocs, RECOMMENDED_POLL_SECONDS, type OperationDoc } from './operations';
import { componentSchemas, type JsonSchema } from './schemas';

/** The document, as plain JSON. */
export type OpenApiDocument = Record<string, unknown> & { openapi: '3.1.0'; paths: Record<string, Record<string, JsonSchema>> };

const API_VERSION = '1.0.0';
const SCOPED = (scopes: readonly string[]) => [{ ApiKeyHeader: [...scopes] }, { BearerApiKey: [...scopes] }];
const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

const DESCRIPTION = `Order food from FTGO restaurants on behalf of the consumer an API key belongs to.

**Authentication**: send the key as \`X-API-Key: pk_…\` or \`Authorization: Bearer pk_…\`. A key carries scopes
(\`orders:read\`, \`orders:write\`) and a quota plan (free, standard, partner).

**Quotas**: each operation has its own quota per API key; every answer of a limited operation carries the IETF
\`RateLimit-Policy\` (\`"name";q=<quota>;w=<window s>\`) and \`RateLimit\` (\`"name";r=<remaining>;t=<reset s>\`) headers,
and a 429 says in \`Retry-After\` when to try again.

**Errors** are RFC 9457 problem details (\`application/problem+json\`); switch on \`type\`.

**Following an order**: poll GET /v1/orders/{orderId} about every ${RECOMMENDED_POLL_SECONDS} s with \`If-None-Match\`; unchanged
answers are 304 without a body.`;

function ms(per: number): string {
  return per % 60_000 === 0 ? `${per / 60_000} min` : `${per / 1000} s`;
}

function quotaText(rateLimit: NonNullable<RouteDefinition['policy']['rateLimit']>): string {
  const plans = Object.entries(rateLimit.plans ?? {}).map(([plan, q]) => `${plan} ${q.limit} per ${ms(q.per)}`);
  const failure =
    rateLimit.onStoreFailure === 'closed' ? 'answers 503 with Retry-After (nothing is forwarded)' : 'keeps serving under a per-replica share of the quota';
  const who = rateLimit.key === 'client' ? 'per client address' : 'per API key';
  return `Quota ${who}: ${plans.length ? `${plans.join(', ')}; other plans ` : ''}${rateLimit.limit} per ${ms(rateLimit.per)}. While quotas cannot be counted it ${failure}.`;
}

function headerRefs(names: Record<string, boolean>): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(names).map(([name, required]) => [name, { $ref: `#/components/headers/${name}${required ? '' : 'Optional'}` }]));
}

function problem(description: string, headers: Record<string, boolean> = {}): JsonSchema {
  return { description, headers: headerRefs(headers), content: problemContent };
}

// The failures the route chain produces before or around the terminal, from the route's policy.
function edgeFailures(route: RouteDefinition, limited: Record<string, boolean>): Record<string, JsonSchema> {
  const { policy } = route;
  const out: Record<string, JsonSchema> = {};
  if (policy.auth !== 'none') {
    out['401'] = problem('No API key, or one that is malformed, unknown or disabled', { 'WWW-Authenticate': true });
    if (policy.scopes.length) out['403'] = problem(`The API key lacks the scope ${policy.scopes.join(' ')} (insufficient_scope)`, { 'WWW-Authenticate': true });
  }
  if (policy.body) out['422'] = problem('The body does not match the request schema; `errors` lists each problem', limited);
  if (policy.rateLimit) out['429'] = problem(`Quota exhausted. ${quotaText(policy.rateLimit)}`, { ...limited, 'Retry-After': true });
  out['503'] = problem('Temporarily unavailable (credentials or quotas cannot be checked, or a backend is down); retry after Retry-After', {
    'Retry-After': false,
  });
  return out;
}

// The request header of a route with policy.etag.
const IF_NONE_MATCH: JsonSchema = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'The ETag of the copy you hold (or a list of them): 304 without a body while it is current',
};

function operation(route: RouteDefinition, doc: OperationDoc | undefined): JsonSchema {
  const { policy } = route;
  const limited: Record<string, boolean> = policy.rateLimit ? { RateLimit: true, 'RateLimit-Policy': true } : {};
  const responses: Record<string, JsonSchema> = {};
  for (const [status, success] of Object.entries(doc?.success ?? { '200': { description: 'Success' } })) {
    // policy.etag: every whole 200 carries an ETag (a partial one does not).
    const validator: Record<string, boolean> = policy.etag && status === '200' ? { ETag: false } : {};
    responses[status] = {
      description: success.description,
      headers: headerRefs({ ...limited, ...validator, ...success.headers }),
      ...(success.schema ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/${success.schema}` } } } } : {}),
    };
  }
  if (policy.etag) responses['304'] ??= { description: 'Unchanged since the ETag sent in If-None-Match; no body', headers: headerRefs({ ...limited, ETag: true }) };
  for (const [status, description] of Object.entries(doc?.failures ?? {})) {
    // A 413 is refused by its Content-Length before credentials or quotas are looked at.
    responses[status] = problem(description, status === '413' ? {} : limited);
  }
  // The operation's own wording wins where it says more than the edge's (e.g. 422 for an unknown menu item).
  for (const [status, response] of Object.entries(edgeFailures(route, limited))) responses[status] ??= response;
  responses.default = problem('Any other failure, e.g. 502 or 504 when a backend fails or is too slow');

  const pathParameters = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string', minLength: 1 },
  }));
  const description = [doc?.description, policy.rateLimit ? quotaText(policy.rateLimit) : undefined].filter(Boolean).join('\n\n');
  return {
    operationId: doc?.operationId ?? route.id,
    summary: doc?.summary ?? route.id,
    description,
    tags: doc?.tags ?? [],
    security: policy.auth === 'none' ? [] : SCOPED(policy.scopes),
    parameters: [...pathParameters, ...(doc?.parameters ?? []), ...(policy.etag ? [IF_NONE_MATCH] : [])],
    ...(policy.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${requestSchemaName(route)}` } } } } }
      : {}),
    responses,
    ...(policy.rateLimit ? { 'x-portico-quota': quotaExtension(policy.rateLimit) } : {}),
  };
}

function quotaExtension(rateLimit: NonNullable<RouteDefinition['policy']['rateLimit']>): JsonSchema {
  const window = (q: { limit: number; per: number }) => ({ limit: q.limit, windowSeconds: q.per / 1000 });
  const plans = Object.fromEntries(Object.entries(rateLimit.plans ?? {}).map(([plan, q]) => [plan, window(q)]));
  return { key: rateLimit.key ?? 'principal', default: window(rateLimit), plans, onStoreFailure: rateLimit.onStoreFailure };
}

/** The component name of a route's request body schema: `create-order` → `CreateOrderRequest`. */
export function requestSchemaName(route: Pick<RouteDefinition, 'id'>): string {
  return `${route.id.replace(/(^|-)([a-z0-9])/g, (_all, _dash: string, c: string) => c.toUpperCase())}Request`;
}

const headerComponents: Record<string, JsonSchema> = {
  RateLimit: {
    description: 'Remaining quota: `"<policy>";r=<remaining>;t=<seconds until reset>` (draft-ietf-httpapi-ratelimit-headers)',
    schema: { type: 'string', pattern: '^"[A-Za-z0-9_.:-]+";r=\\d+;t=\\d+' },
  },
  'RateLimit-Policy': {
    description: 'The quota: `"<policy>";q=<requests>;w=<window seconds>`',
    schema: { type: 'string', pattern: '^"[A-Za-z0-9_.:-]+";q=\\d+;w=\\d+' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying (RFC 9110 §10.2.3)', schema: { type: 'string', pattern: '^\\d+$' } },
  'WWW-Authenticate': {
    description: 'RFC 6750 challenge, e.g. `Bearer realm="portico", error="invalid_token"`',
    schema: { type: 'string', pattern: '^Bearer ' },
  },
  ETag: {
    description: 'Validator of this answer, weak: the same JSON has the same one whatever its Content-Encoding; send it back in If-None-Match',
    schema: { type: 'string', pattern: '^(W/)?"[^"]+"$' },
  },
  'Cache-Control': { description: 'Private to the key owner; revalidate before reuse', schema: { type: 'string' } },
  Location: { description: 'The new resource', schema: { type: 'string', format: 'uri-reference' } },
};

/** Builds the document for the /v1 routes of a routing map; routes without a hand-written doc still get a derived one. */
export function buildOpenApiDocument(routes: readonly RouteDefinition[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const schemas: Record<string, JsonSchema> = { ...componentSchemas };
  for (const route of routes) {
    if (!route.path.startsWith('/v1/')) continue;
    const path = route.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    // The very schema the edge validates with (routes.yaml policy.body): one source for both.
    if (route.policy.body) schemas[requestSchemaName(route)] = route.policy.body as JsonSchema;
    for (const method of route.method) (paths[path] ??= {})[method.toLowerCase()] = operation(route, operationDocs[route.id]);
  }
  const headers: Record<string, JsonSchema> = {};
  for (const [name, header] of Object.entries(headerComponents)) {
    headers[name] = { ...header, required: true };
    headers[`${name}Optional`] = { ...header, required: false };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Portico public API', version: API_VERSION, description: DESCRIPTION, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: '/', description: 'This server' }],
    tags: [
      { name: 'orders', description: "The key owner's orders" },
      { name: 'restaurants', description: 'The restaurant catalogue' },
      { name: 'meta', description: 'About this API' },
    ],
    paths,
    components: {
      schemas,
      headers,
      securitySchemes: {
        ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key, `pk_<id>_<secret>`' },
        BearerApiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'pk_<id>_<secret>', description: 'The same API key as a Bearer token' },
      },
    },
  };
}
