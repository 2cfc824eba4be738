import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseRoutingMap, type RouteDefinition } from '@portico/gateway';
import { buildOpenApiDocument, requestSchemaName, type OpenApiDocument } from '../../src/openapi/build-document';
import { operationDocs } from '../../src/openapi/operations';
import { UPSTREAMS } from '../../src/clients';
import { openApiContract } from '../support/openapi-contract';
import { ROUTES_FILE } from '../support/public-api';

type Json = Record<string, unknown>;

function routes(): readonly RouteDefinition[] {
  const env = Object.fromEntries(Object.values(UPSTREAMS).map((name) => [name, 'http://127.0.0.1:1']));
  return parseRoutingMap(readFileSync(ROUTES_FILE, 'utf8'), ROUTES_FILE, env).routes;
}

function op(doc: OpenApiDocument, path: string, method: string): Json {
  return doc.paths[path]?.[method] as Json;
}

describe('OpenAPI document (buildOpenApiDocument over routes.yaml)', () => {
  let doc: OpenApiDocument;
  before(() => {
    doc = buildOpenApiDocument(routes());
  });

  it('describes every /v1 route of routes.yaml with a hand-written operation, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const routed = routes().map((r) => `${r.method.join(',')} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).to.deep.equal(routed.sort());
    expect(
      routes()
        .map((r) => r.id)
        .sort(),
    ).to.deep.equal(Object.keys(operationDocs).sort());
  });

  it('publishes the very body schema the edge validates create-order with', () => {
    const route = routes().find((r) => r.id === 'create-order')!;
    const schemas = (doc.components as { schemas: Json }).schemas;
    expect(requestSchemaName(route)).to.equal('CreateOrderRequest');
    expect(schemas.CreateOrderRequest).to.deep.equal(route.policy.body);
    expect(op(doc, '/v1/orders', 'post').requestBody).to.deep.equal({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateOrderRequest' } } },
    });
  });

  it('declares the X-API-Key and Bearer schemes and the scopes each operation needs', () => {
    expect((doc.components as { securitySchemes: Json }).securitySchemes).to.deep.include({
      ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key, `pk_<id>_<secret>`' },
    });
    expect(op(doc, '/v1/orders', 'post').security).to.deep.equal([{ ApiKeyHeader: ['orders:write'] }, { BearerApiKey: ['orders:write'] }]);
    expect(op(doc, '/v1/orders/{orderId}', 'get').security).to.deep.equal([{ ApiKeyHeader: ['orders:read'] }, { BearerApiKey: ['orders:read'] }]);
    expect(op(doc, '/v1/restaurants', 'get').security).to.deep.equal([{ ApiKeyHeader: [] }, { BearerApiKey: [] }]);
    expect(op(doc, '/v1/openapi.json', 'get').security).to.deep.equal([]);
  });

  it('documents the problem answers each operation can give, as application/problem+json', () => {
    const statuses = (path: string, method: string) => Object.keys(op(doc, path, method).responses as Json).sort();
    expect(statuses('/v1/orders', 'post')).to.include.members(['201', '400', '401', '403', '413', '415', '422', '429', '503', 'default']);
    expect(statuses('/v1/orders/{orderId}', 'get')).to.include.members(['200', '304', '401', '403', '404', '429', '503']);
    expect(statuses('/v1/orders/{orderId}/cancel', 'post')).to.include.members(['200', '401', '403', '404', '409', '429', '503']);
    expect(statuses('/v1/openapi.json', 'get')).to.not.include('401');
    const tooMany = (op(doc, '/v1/orders', 'post').responses as Json)['429'] as Json;
    expect(tooMany.content).to.deep.equal({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    expect(Object.keys(tooMany.headers as Json)).to.have.members(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
  });

  it('states the quota plans of routes.yaml in words and as x-portico-quota, with the failure mode', () => {
    const create = op(doc, '/v1/orders', 'post');
    expect(create['x-portico-quota']).to.deep.equal({
      key: 'principal',
      default: { limit: 10, windowSeconds: 60 },
      plans: { free: { limit: 10, windowSeconds: 60 }, standard: { limit: 120, windowSeconds: 60 }, partner: { limit: 600, windowSeconds: 60 } },
      onStoreFailure: 'closed',
    });
    expect(create.description).to.contain('free 10 per 1 min, standard 120 per 1 min, partner 600 per 1 min').and.to.contain('answers 503');
    expect(op(doc, '/v1/orders/{orderId}', 'get').description)
      .to.contain('partner 3000 per 1 min')
      .and.to.contain('If-None-Match');
  });

  it('is JSON Schema 2020-12 that ajv compiles in strict mode, every $ref resolving', () => {
    const contract = openApiContract(doc as Json);
    expect(contract.compileAll()).to.be.greaterThan(20);
    const problem = { type: 'urn:portico:problem:not-found', title: 'Not found', status: 404, requestId: 'r-1' };
    contract.check({
      method: 'GET',
      path: '/v1/orders/o-1',
      status: 404,
      headers: { 'content-type': 'application/problem+json', ratelimit: '"get-order-details";r=5;t=60', 'ratelimit-policy': '"get-order-details";q=60;w=60' },
      body: problem,
    });
    expect(() =>
      contract.check({ method: 'GET', path: '/v1/orders/o-1', status: 404, headers: { 'content-type': 'application/problem+json' }, body: { title: 'x' } }),
    ).to.throw(/RateLimit is required[\s\S]*must have required property 'type'/);
    expect(() => contract.check({ method: 'GET', path: '/v1/nowhere', status: 200, headers: {}, body: {} })).to.throw('no such path');
  });
});
