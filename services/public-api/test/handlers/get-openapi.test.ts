import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../../src/openapi/build-document';
import { send, startPublicApi, type PublicApiUnderTest } from '../support/public-api';

describe('GET /v1/openapi.json (public-api)', () => {
  let api: PublicApiUnderTest;
  before(async () => {
    api = await startPublicApi({});
  });
  after(() => api.close());

  it('serves the OpenAPI 3.1 document without a key, cacheable, with RateLimit headers per client', async () => {
    const first = await send(api.url, 'GET', '/v1/openapi.json');
    expect(first.status).to.equal(200);
    expect(first.headers['content-type']).to.match(/^application\/json/);
    expect(first.body).to.include({ openapi: '3.1.0' });
    expect(first.headers['cache-control']).to.equal('public, max-age=300');
    expect(first.headers['ratelimit-policy']).to.equal('"openapi";q=120;w=60');
    const second = await send(api.url, 'GET', '/v1/openapi.json');
    expect(second.headers['x-cache']).to.equal('HIT');
    expect(second.body).to.deep.equal(first.body);
  });

  it('describes the routing map in force: a hot reload that adds a route shows up in the document', async () => {
    const text = readFileSync(api.api.routesFile, 'utf8');
    const extra = `  - id: get-restaurant-menu\n    method: GET\n    path: /v1/restaurants/:restaurantId/menu\n    upstream: \${RESTAURANT_SERVICE_URL}/restaurants/:restaurantId\n    policy: { credentials: [api-key] }\n`;
    writeFileSync(api.api.routesFile, `${text}\n${extra}`);
    const before = api.api.bff.routingMapVersion();
    expect((await api.api.bff.reload()).status).to.be.oneOf(['swapped', 'unchanged']);
    expect(api.api.bff.routingMapVersion()).to.not.equal(before);
    // The served copy is cached for 5 minutes; the builder itself sees the new version.
    const routes = api.api.bff.router.current().routes.map((r) => r.definition);
    const doc = buildOpenApiDocument(routes);
    expect(doc.paths).to.have.property('/v1/restaurants/{restaurantId}/menu');
    expect((doc.paths['/v1/restaurants/{restaurantId}/menu']?.get as { summary: string }).summary).to.equal('get-restaurant-menu');
  });
});
