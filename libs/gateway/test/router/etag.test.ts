import { expect } from 'chai';
import { startBff, type StartedBff } from '@portico/testing';
import { startUpstream, type TestUpstream } from '../proxy/proxy-harness';
import { LIST_JSON, wireRequest } from './wire';

const ROUTES = `
routes:
  - id: whole
    method: GET
    path: /whole
    upstream: "\${U}/whole"
    policy: { auth: none, etag: true }
  - id: other
    method: GET
    path: /other
    upstream: "\${U}/other"
    policy: { auth: none, etag: true }
  - id: own
    method: GET
    path: /own
    upstream: "\${U}/own"
    policy: { auth: none, etag: true }
  - id: revalidating
    method: GET
    path: /revalidating
    upstream: "\${U}/revalidating"
    policy: { auth: none, etag: true }
  - id: streamed
    method: GET
    path: /streamed
    upstream: "\${U}/streamed"
    policy: { auth: none, etag: true }
  - id: cached
    method: GET
    path: /cached
    upstream: "\${U}/cached"
    policy: { auth: none, etag: true, cache: { ttl: 30s, public: true } }
  - id: cached-cold
    method: GET
    path: /cached-cold
    upstream: "\${U}/cached"
    policy: { auth: none, etag: true, cache: { ttl: 30s, public: true } }
  - id: compressed
    method: GET
    path: /compressed
    upstream: "\${U}/whole"
    policy: { auth: none, etag: true, compress: true }
  - id: composed
    method: GET
    path: /composed
    compose:
      parts:
        - { key: a, upstream: u, path: /whole, required: true }
        - { key: b, upstream: u, path: /other }
    policy: { auth: none, etag: true }
  - id: composed-partial
    method: GET
    path: /composed-partial
    compose:
      parts:
        - { key: a, upstream: u, path: /whole, required: true }
        - { key: b, upstream: u, path: /failing }
    policy: { auth: none, etag: true }
  - id: handled
    method: GET
    path: /handled
    handler: listThings
    policy: { auth: none, etag: true }
  - id: created
    method: POST
    path: /whole
    upstream: "\${U}/whole"
    policy: { auth: none, etag: true }
  - id: failing
    method: GET
    path: /failing
    upstream: "\${U}/failing"
    policy: { auth: none, etag: true }
  - id: plain
    method: GET
    path: /plain
    upstream: "\${U}/whole"
    policy: { auth: none }
`;

// List-sized: over the compression threshold.
const WHOLE = LIST_JSON;
const OTHER = JSON.stringify({ items: [{ id: 'r-1', name: 'Another' }] });
const get = wireRequest;

describe('policy.etag: validators and 304 Not Modified', function () {
  this.timeout(20_000);
  let upstream: TestUpstream;
  let bff: StartedBff;
  let base: string;
  let answers = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      answers += 1;
      const json = { 'content-type': 'application/json' };
      const whole = (body: string, headers: Record<string, string> = json) => void res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
      switch (req.url) {
        case '/whole':
        case '/cached':
          return whole(WHOLE);
        case '/other':
          return whole(OTHER);
        case '/own':
          return whole(WHOLE, { ...json, etag: '"v7"' });
        case '/revalidating':
          // A backend that answers conditional requests itself.
          if (req.headers['if-none-match'] === '"r1"') return void res.writeHead(304, { etag: '"r1"' }).end();
          return whole(WHOLE, { ...json, etag: '"r1"' });
        case '/streamed':
          // No Content-Length: the proxy streams it.
          res.writeHead(200, json);
          res.write(WHOLE.slice(0, 3000));
          return void setTimeout(() => res.end(WHOLE.slice(3000)), 20);
        default:
          return void res.writeHead(500, json).end('{"error":"db-3.internal refused"}');
      }
    });
    const handlers = { listThings: (ctx: { body: unknown }) => void (ctx.body = JSON.parse(WHOLE)) };
    bff = await startBff({ serviceName: 'etag', routes: ROUTES, env: { U: upstream.url }, handlers });
    base = bff.url;
  });
  after(async () => {
    await bff.close();
    await upstream.close();
  });
  beforeEach(() => {
    answers = 0;
    upstream.seen.length = 0;
  });

  it('gives a 200 a weak ETag hashed from its body: the same for the same body, another for another', async () => {
    const first = await get(base, '/whole');
    const again = await get(base, '/whole');
    const other = await get(base, '/other');
    expect(first.status).to.equal(200);
    expect(first.body.toString()).to.equal(WHOLE);
    expect(first.headers.etag).to.match(/^W\/"[0-9a-f]+-[\w+/]{27}"$/);
    expect(again.headers.etag).to.equal(first.headers.etag);
    expect(other.headers.etag).to.match(/^W\//).and.not.equal(first.headers.etag);
  });

  it('answers 304 with no body or content headers when If-None-Match matches, in each of its forms', async () => {
    const etag = (await get(base, '/whole')).headers.etag!;
    const strong = etag.slice(2);
    for (const ifNoneMatch of [etag, strong, `"nope", ${etag}`, '*']) {
      const res = await get(base, '/whole', { 'if-none-match': ifNoneMatch });
      expect(res.status, ifNoneMatch).to.equal(304);
      expect(res.body.length).to.equal(0);
      expect(res.headers.etag).to.equal(etag);
      expect(res.headers['content-type']).to.equal(undefined);
      expect(res.headers['content-length']).to.equal(undefined);
      expect(res.headers['x-request-id']).to.be.a('string');
    }
  });

  it('answers the full 200 when If-None-Match names another version', async () => {
    const stale = await get(base, '/whole', { 'if-none-match': 'W/"3-abc"' });
    expect(stale.status).to.equal(200);
    expect(stale.body.toString()).to.equal(WHOLE);
  });

  it('answers 304 to fetch() revalidating by hand, which adds Cache-Control: no-cache to every such request', async () => {
    const etag = (await get(base, '/whole')).headers.etag!;
    // The Fetch standard turns a request with If-None-Match into cache mode no-store, which sends no-cache along.
    const res = await fetch(`${base}/whole`, { headers: { 'if-none-match': etag } });
    expect(res.status).to.equal(304);
    expect(upstream.seen.at(-1)?.headers['cache-control']).to.equal('no-cache');
  });

  it('keeps the upstream’s own ETag and revalidates against it', async () => {
    const first = await get(base, '/own');
    expect(first.headers.etag).to.equal('"v7"');
    const again = await get(base, '/own', { 'if-none-match': '"v7"' });
    expect(again.status).to.equal(304);
    expect(again.headers.etag).to.equal('"v7"');
  });

  it('passes If-None-Match on to the upstream of an uncached route, and its own 304 back', async () => {
    const res = await get(base, '/revalidating', { 'if-none-match': '"r1"' });
    expect(res.status).to.equal(304);
    expect(res.headers.etag).to.equal('"r1"');
    expect(upstream.seen[0]?.headers['if-none-match']).to.equal('"r1"');
  });

  it('answers a revalidated cache hit 304 without calling the upstream, and never sends the client’s validator upstream', async () => {
    const miss = await get(base, '/cached', { 'if-none-match': 'W/"1-old"' });
    expect(miss.status).to.equal(200);
    expect(miss.headers['x-cache']).to.equal('MISS');
    const hit = await get(base, '/cached', { 'if-none-match': miss.headers.etag! });
    expect(hit.status).to.equal(304);
    expect(hit.headers['x-cache']).to.equal('HIT');
    expect(hit.headers.etag).to.equal(miss.headers.etag);
    expect(answers).to.equal(1);
    expect(upstream.seen.map((s) => s.headers['if-none-match'])).to.deep.equal([undefined]);
  });

  it('answers a cache miss 304 too when the client already holds what the upstream answered', async () => {
    // The cache drops the client's If-None-Match before calling the upstream; the validator compares the one it sent.
    const etag = (await get(base, '/whole')).headers.etag!;
    const res = await get(base, '/cached-cold', { 'if-none-match': etag });
    expect(res.headers['x-cache']).to.equal('MISS');
    expect(res.status).to.equal(304);
    expect(upstream.seen.map((s) => s.headers['if-none-match'])).to.deep.equal([undefined, undefined]);
  });

  it('gives a compressed answer and its 304 the same validator, and compresses no 304', async () => {
    const plain = await get(base, '/compressed');
    const br = await get(base, '/compressed', { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).to.equal('br');
    expect(br.decoded()).to.equal(WHOLE);
    expect(br.headers.etag).to.equal(plain.headers.etag);
    const revalidated = await get(base, '/compressed', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! });
    expect(revalidated.status).to.equal(304);
    expect(revalidated.headers['content-encoding']).to.equal(undefined);
    expect(revalidated.headers.etag).to.equal(br.headers.etag);
    expect(revalidated.headers.vary).to.match(/accept-encoding/i);
  });

  it('gives composed answers and what a code handler answers an ETag too', async () => {
    for (const path of ['/composed', '/handled']) {
      const first = await get(base, path);
      expect(first.status, path).to.equal(200);
      expect(first.headers['content-type'], path).to.match(/^application\/json/);
      expect(JSON.parse(first.body.toString()), path).to.be.an('object');
      const again = await get(base, path, { 'if-none-match': first.headers.etag! });
      expect(again.status, path).to.equal(304);
    }
  });

  it('answers HEAD with the ETag the GET gets, and 304 when it matches', async () => {
    const etag = (await get(base, '/handled')).headers.etag!;
    const head = await get(base, '/handled', {}, 'HEAD');
    expect(head.status).to.equal(200);
    expect(head.headers.etag).to.equal(etag);
    expect((await get(base, '/handled', { 'if-none-match': etag }, 'HEAD')).status).to.equal(304);
  });

  it('gives a partial answer no ETag, so a client polling it never keeps a degraded copy as current', async () => {
    const partial = await get(base, '/composed-partial', { 'if-none-match': '*' });
    expect(partial.status).to.equal(200);
    expect(JSON.parse(partial.body.toString())).to.include({ b: null }).and.to.have.property('_errors');
    expect(partial.headers.etag).to.equal(undefined);
  });

  it('leaves streamed answers, faults, POSTs and routes that did not ask for it without an ETag', async () => {
    const streamed = await get(base, '/streamed', { 'if-none-match': '*' });
    expect(streamed.status).to.equal(200);
    expect(streamed.headers.etag).to.equal(undefined);
    expect(streamed.body.toString()).to.equal(WHOLE);
    const failing = await get(base, '/failing', { 'if-none-match': '*' });
    expect(failing.status).to.equal(502);
    expect(failing.headers.etag).to.equal(undefined);
    const post = await get(base, '/whole', { 'if-none-match': '*' }, 'POST');
    expect(post.status).to.equal(200);
    expect(post.headers.etag).to.equal(undefined);
    const plain = await get(base, '/plain', { 'if-none-match': '*' });
    expect(plain.status).to.equal(200);
    expect(plain.headers.etag).to.equal(undefined);
  });
});
