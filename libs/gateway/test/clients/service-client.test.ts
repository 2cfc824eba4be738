import { expect } from 'chai';
import { isEdgeError, problemBody, type EdgeError } from '@portico/edge';
import { createUpstreams, type Upstreams } from '../../src/clients/upstreams';
import { ServiceClient, UPSTREAM_DEFAULTS } from '../../src/clients/service-client';
import { UpstreamClientError } from '../../src/clients/json-body';
import { Deadline } from '../../src/clients/deadline';
import { json, memoryLogger, sleep, stallingAnswer, startUpstream, type ScriptedUpstream } from './scripted-upstream';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function edgeFailure(p: Promise<unknown>): Promise<EdgeError> {
  const err = await rejection(p);
  if (!isEdgeError(err)) throw new Error(`expected an EdgeError, got ${String(err)}`);
  return err;
}

describe('ServiceClient', () => {
  let up: ScriptedUpstream;
  let upstreams: Upstreams;
  let client: ServiceClient;
  const deadline = () => Deadline.after(2000);

  before(async () => {
    up = await startUpstream();
    upstreams = createUpstreams({ order: { url: up.url, policy: { retry: { baseDelayMs: 1, maxDelayMs: 2 }, breaker: { minimumCalls: 1000 } } } }, { logger: memoryLogger() });
    client = new ServiceClient(upstreams.get('order'), { maxBodyBytes: 1024 });
  });
  after(async () => {
    await upstreams.close();
    await up.close();
  });
  beforeEach(() => up.reset());

  it('sets every timeout and the retry policy explicitly', () => {
    expect(UPSTREAM_DEFAULTS).to.deep.include({ connectTimeoutMs: 1500, headersTimeoutMs: 5000, bodyTimeoutMs: 30_000, keepAliveTimeoutMs: 4000 });
    expect(UPSTREAM_DEFAULTS.retry).to.include({ maxRetries: 2, budgetRatio: 0.2 });
    expect(UPSTREAM_DEFAULTS.breaker).to.deep.equal({ failureRatio: 0.5, minimumCalls: 20, windowMs: 10_000, openMs: 30_000 });
  });

  it('GETs JSON with query parameters and an Accept header', async () => {
    up.handler = (req, res) => json(res, 200, { url: req.url });
    const body = await client.getJson<{ url: string }>('/orders', { deadline: deadline(), query: { state: 'open', limit: 5, skip: undefined } });
    expect(body).to.deep.equal({ url: '/orders?state=open&limit=5' });
    expect(up.seen[0]?.accept).to.equal('application/json');
  });

  it('resolves an upstream 404 to null for the caller to map', async () => {
    up.handler = (_req, res) => json(res, 404, { title: 'nope' });
    expect(await client.getJson('/orders/9', { deadline: deadline() })).to.equal(null);
  });

  it('POSTs JSON exactly once even when the upstream answers 503', async () => {
    up.handler = (_req, res) => json(res, 503, {});
    const err = await edgeFailure(client.postJson('/orders', { item: 1 }, { deadline: deadline() }));
    expect(err).to.include({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
    await sleep(30);
    expect(up.hits).to.equal(1);
  });

  it('retries a GET on 503 and maps the last 503 to UPSTREAM_UNAVAILABLE', async () => {
    up.handler = (_req, res) => json(res, 503, {});
    const err = await edgeFailure(client.getJson('/orders/1', { deadline: deadline() }));
    expect(err.status).to.equal(503);
    expect(up.hits).to.equal(3);
  });

  it('retries a PUT only when declared idempotent', async () => {
    up.handler = (_req, res) => json(res, 502, {});
    await edgeFailure(client.putJson('/orders/1', {}, { deadline: deadline() }));
    expect(up.hits).to.equal(1);
    up.reset();
    await edgeFailure(client.putJson('/orders/1', {}, { deadline: deadline(), idempotent: true }));
    expect(up.hits).to.equal(3);
  });

  it('maps an upstream 500 to 502 UPSTREAM_ERROR without the upstream body', async () => {
    up.handler = (_req, res) => json(res, 500, { stack: 'at db.query (10.0.0.7:5432)' });
    const err = await edgeFailure(client.getJson('/orders/1', { deadline: deadline() }));
    expect(err).to.include({ code: 'UPSTREAM_ERROR', status: 502, detail: 'order service: failed (HTTP 500)' });
    expect(JSON.stringify(problemBody(err))).not.to.contain('10.0.0.7');
  });

  it('answers 502 UPSTREAM_BAD_RESPONSE for malformed JSON', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"state": "open",');
    };
    const err = await edgeFailure(client.getJson('/orders/1', { deadline: deadline() }));
    expect(err).to.include({ code: 'UPSTREAM_BAD_RESPONSE', status: 502, detail: 'order service: response is not valid JSON' });
  });

  it('answers 502 UPSTREAM_BAD_RESPONSE for a non-JSON answer', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<h1>nginx at orders.internal</h1>');
    };
    const err = await edgeFailure(client.getJson('/orders/1', { deadline: deadline() }));
    expect(err).to.include({ code: 'UPSTREAM_BAD_RESPONSE', detail: 'order service: expected a JSON response' });
  });

  it('stops reading past the body size cap with 502', async () => {
    up.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ pad: 'x'.repeat(5000) }));
    };
    const err = await edgeFailure(client.getJson('/orders/1', { deadline: deadline() }));
    expect(err).to.include({ code: 'UPSTREAM_BAD_RESPONSE', detail: 'order service: response larger than 1024 bytes' });
  });

  it('answers 504 when the body stalls past the deadline', async () => {
    up.handler = (_req, res) => stallingAnswer(res, 'application/json', '{"a":', 1000, '1}');
    const started = Date.now();
    const err = await edgeFailure(client.getJson('/orders/1', { deadline: Deadline.after(150) }));
    expect(err.status).to.equal(504);
    expect(Date.now() - started).to.be.below(500);
  });

  it('passes a 422 back as UpstreamClientError carrying only the forwardable problem members', async () => {
    up.handler = (_req, res) =>
      json(res, 422, {
        type: 'https://orders.internal:9000/problems/validation',
        title: 'Validation failed in OrderService',
        detail: 'lineItems must not be empty',
        instance: '/internal/orders/7',
        errors: [{ pointer: '/lineItems', message: 'must not be empty', sql: 'select 1' }],
        debug: { host: 'orders.internal' },
      });
    const err = await rejection(client.postJson('/orders', { lineItems: [] }, { deadline: deadline() }));
    expect(err).to.be.instanceOf(UpstreamClientError);
    const clientErr = err as UpstreamClientError;
    expect(clientErr.status).to.equal(422);
    expect(clientErr.problem).to.deep.equal({ detail: 'lineItems must not be empty', errors: [{ pointer: '/lineItems', message: 'must not be empty' }] });
    const edge = clientErr.toEdgeError();
    expect(edge).to.include({ code: 'VALIDATION_FAILED', status: 422, detail: 'lineItems must not be empty' });
    const body = JSON.stringify(problemBody(edge));
    expect(body).not.to.contain('orders.internal');
    expect(body).not.to.contain('OrderService');
    expect(body).not.to.contain('sql');
  });

  it('does not retry a 429 and maps it to 503 with the upstream Retry-After', async () => {
    up.handler = (_req, res) => {
      res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '7' });
      res.end('{"title":"slow down"}');
    };
    const err = (await rejection(client.getJson('/orders/1', { deadline: deadline() }))) as UpstreamClientError;
    expect(up.hits).to.equal(1);
    const edge = err.toEdgeError();
    expect(edge).to.include({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
    expect(edge.headers['Retry-After']).to.equal('7');
  });

  it('maps an upstream 401 to 502: the client cannot fix Portico’s own credentials', async () => {
    up.handler = (_req, res) => json(res, 401, { detail: 'bad service token for orders.internal' });
    const err = (await rejection(client.getJson('/orders/1', { deadline: deadline() }))) as UpstreamClientError;
    const edge = err.toEdgeError();
    expect(edge).to.include({ code: 'UPSTREAM_ERROR', status: 502 });
    expect(edge.detail).not.to.contain('orders.internal');
  });
});
