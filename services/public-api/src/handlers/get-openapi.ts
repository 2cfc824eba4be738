/**
 * GET /v1/openapi.json: the OpenAPI 3.1 document, built from the routing map in force once per map version (a hot
 * reload that changes a route changes the document). Building it is openapi/build-document.ts's job.
 */
import type { Middleware } from 'koa';
import type { EdgeState } from '@portico/edge';
import type { ServiceBinding } from '../clients';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/build-document';

/** Builds the getOpenApi handler. */
export function getOpenApi(binding: ServiceBinding): Middleware<EdgeState> {
  let built: { version: string; document: OpenApiDocument } | undefined;
  return async function getOpenApi(ctx) {
    const { version, routes } = binding.routes();
    if (built?.version !== version) built = { version, document: buildOpenApiDocument(routes) };
    ctx.status = 200;
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = built.document;
  };
}
