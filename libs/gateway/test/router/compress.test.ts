import { expect } from 'chai';
import { request } from 'node:http';
import { createGunzip, gzipSync } from 'node:zlib';
import { startBff, type StartedBff } from '@portico/testing';
import { startUpstream, type TestUpstream } from '../proxy/proxy-harness';
import { LIST_JSON, wireRequest } from './wire';

const ROUTES = `
routes:
  - id: big
    method: GET
    path: /big
    upstream: "\${U}/big"
    policy: { auth: none, compress: true }
  - id: small
    method: GET
    path: /small
    upstream: "\${U}/small"
    policy: { auth: none, compress: true }
  - id: streamed
    method: GET
    path: /streamed
    upstream: "\${U}/streamed"
    policy: { auth: none, compress: { minBytes: 1KiB } }
  - id: trickle
    method: GET
    path: /trickle
    upstream: "\${U}/trickle"
    policy: { auth: none, compress: true }
  - id: events
    method: GET
    path: /events
    upstream: "\${U}/events"
    policy: { auth: none, compress: true }
  - id: broken
    method: GET
    path: /broken
    upstream: "\${U}/broken"
    policy: { auth: none, compress: true }
  - id: encoded
    method: GET
    path: /encoded
    upstream: "\${U}/encoded"
    policy: { auth: none, compress: true }
  - id: no-transform
    method: GET
    path: /no-transform
    upstream: "\${U}/no-transform"
    policy: { auth: none, compress: true }
  - id: image
    method: GET
    path: /image
    upstream: "\${U}/image"
    policy: { auth: none, compress: true }
  - id: plain
    method: GET
    path: /plain
    upstream: "\${U}/big"
    policy: { auth: none }
  - id: composed
    method: GET
    path: /composed
    compose:
      parts:
        - { key: a, upstream: u, path: /big, required: true }
        - { key: b, upstream: u, path: /big }
    policy: { auth: none, compress: true }
  - id: cached
    method: GET
    path: /cached
    upstream: "\${U}/big"
    policy: { auth: none, compress: true, cache: { ttl: 30s, public: true } }
  - id: handled
    method: GET
    path: /handled
    handler: listThings
    policy: { auth: none, compress: true }
  - id: handled-big
    method: GET
    path: /handled-big
    handler: listManyThings
    policy: { auth: none, compress: true }
  - id: missing
    method: GET
    path: /missing
    upstream: "\${U}/missing"
    policy: { auth: none, compress: true }
`;

const BIG = LIST_JSON;
const get = wireRequest;

describe('policy.compress: brotli/gzip of a route’s answer', function () {
  this.timeout(20_000);
  let upstream: TestUpstream;
  let bff: StartedBff;
  let base: string;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const json = { 'content-type': 'application/json' };
      // With its length, as most backends answer: the proxy then reads it whole.
      const whole = (body: string | Buffer, headers: Record<string, string> = json) =>
        void res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
      switch (req.url) {
        case '/big':
          return whole(BIG, { ...json, etag: '"v1"' });
        case '/small':
          return whole('{"ok":true}');
        case '/streamed':
          // No Content-Length: the proxy streams it, in pieces.
          res.writeHead(200, json);
          res.write(BIG.slice(0, 3000));
          return void setTimeout(() => res.end(BIG.slice(3000)), 20);
        case '/trickle':
          // A first piece, then the rest much later: the client must get the first piece without waiting for the rest.
          res.writeHead(200, json);
          res.write(BIG.slice(0, 3000));
          return void setTimeout(() => res.end(BIG.slice(3000)), 800);
        case '/events':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: ${BIG}\n\n`);
          return void setTimeout(() => res.end(), 20);
        case '/broken':
          res.writeHead(200, json);
          res.write(BIG.slice(0, 3000));
          return void setTimeout(() => res.destroy(), 20);
        case '/encoded':
          return whole(gzipSync(BIG), { ...json, 'content-encoding': 'gzip' });
        case '/no-transform':
          return whole(BIG, { ...json, 'cache-control': 'no-transform' });
        case '/image':
          return whole(Buffer.alloc(4096, 7), { 'content-type': 'image/png' });
        default:
          return void res.writeHead(500, json).end(`{"error":"db-3.internal refused","pad":"${'x'.repeat(2000)}"}`);
      }
    });
    // A code handler answering a JS object, as handlers do: Koa serialises it, so the compressor must too.
    const many = { pages: Array.from({ length: 40 }, () => JSON.parse(BIG) as unknown) };
    const handlers = { listThings: (ctx: { body: unknown }) => void (ctx.body = JSON.parse(BIG)), listManyThings: (ctx: { body: unknown }) => void (ctx.body = many) };
    bff = await startBff({ serviceName: 'compress', routes: ROUTES, env: { U: upstream.url }, handlers });
    base = bff.url;
  });
  after(async () => {
    await bff.close();
    await upstream.close();
  });

  it('answers brotli when the client accepts it, with its own length, the same type and Vary: Accept-Encoding', async () => {
    const res = await get(base, '/big', { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-encoding']).to.equal('br');
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.headers['content-length']).to.equal(String(res.body.length));
    expect(res.headers.vary).to.match(/accept-encoding/i);
    expect(res.body.length).to.be.below(BIG.length / 3);
    expect(res.decoded()).to.equal(BIG);
    expect(res.headers.etag, 'other bytes than the upstream’s strong validator named').to.equal('W/"v1"');
  });

  it('follows the client’s q-values: gzip when it prefers gzip or accepts only gzip, nothing when it refuses both', async () => {
    const preferred = await get(base, '/big', { 'accept-encoding': 'br;q=0.5, gzip' });
    expect(preferred.headers['content-encoding']).to.equal('gzip');
    expect(preferred.decoded()).to.equal(BIG);
    expect((await get(base, '/big', { 'accept-encoding': 'gzip' })).headers['content-encoding']).to.equal('gzip');
    const refused = await get(base, '/big', { 'accept-encoding': 'identity, gzip;q=0, br;q=0' });
    expect(refused.headers['content-encoding']).to.equal(undefined);
    expect(refused.body.toString()).to.equal(BIG);
  });

  it('answers the body as it is to a client that sends no Accept-Encoding', async () => {
    const res = await get(base, '/big');
    expect(res.headers['content-encoding']).to.equal(undefined);
    expect(res.headers['content-length']).to.equal(String(BIG.length));
    expect(res.body.toString()).to.equal(BIG);
    expect(res.headers.vary).to.match(/accept-encoding/i);
    expect(res.headers.etag).to.equal('"v1"');
  });

  it('counts what it compressed on /metrics, by route and encoding', async () => {
    const before = (await get(base, '/metrics')).body.toString();
    // prom-client writes the labels in declaration order, the service's default label last.
    const value = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? 0);
    const count = (text: string, encoding: string) => value(text, `portico_compressed_responses_total{route="/big",encoding="${encoding}",service="compress"}`);
    const bytes = (text: string, stage: string) => value(text, `portico_compression_bytes_total{route="/big",stage="${stage}",service="compress"}`);
    const br = await get(base, '/big', { 'accept-encoding': 'br' });
    await get(base, '/big', { 'accept-encoding': 'gzip' });
    await get(base, '/big');
    const after = (await get(base, '/metrics')).body.toString();
    expect(count(after, 'br') - count(before, 'br')).to.equal(1);
    expect(count(after, 'gzip') - count(before, 'gzip')).to.equal(1);
    expect(bytes(after, 'in') - bytes(before, 'in')).to.equal(2 * BIG.length);
    expect(bytes(after, 'out') - bytes(before, 'out')).to.be.above(br.body.length).and.below(BIG.length);
  });

  it('leaves alone an answer below the threshold, one already encoded, one marked no-transform and a type that does not compress', async () => {
    const accept = { 'accept-encoding': 'br, gzip' };
    const small = await get(base, '/small', accept);
    expect(small.headers['content-encoding']).to.equal(undefined);
    expect(small.body.toString()).to.equal('{"ok":true}');
    const encoded = await get(base, '/encoded', accept);
    expect(encoded.headers['content-encoding']).to.equal('gzip');
    expect(encoded.decoded(), 'compressed once, by the upstream').to.equal(BIG);
    const kept = await get(base, '/no-transform', accept);
    expect(kept.headers['content-encoding']).to.equal(undefined);
    expect(kept.body.toString()).to.equal(BIG);
    const image = await get(base, '/image', accept);
    expect(image.headers['content-encoding']).to.equal(undefined);
    expect(image.body.length).to.equal(4096);
  });

  it('compresses a streamed answer as it flows, without a length', async () => {
    const res = await get(base, '/streamed', { 'accept-encoding': 'gzip' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-encoding']).to.equal('gzip');
    expect(res.headers['content-length']).to.equal(undefined);
    expect(res.headers['transfer-encoding']).to.equal('chunked');
    expect(res.decoded()).to.equal(BIG);
  });

  it('passes each streamed piece on as soon as it arrives, compressed', async () => {
    const started = Date.now();
    const firstDecoded = await new Promise<{ at: number; text: string }>((resolve, reject) => {
      const req = request(new URL('/trickle', base), { headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
        expect(res.headers['content-encoding']).to.equal('gzip');
        const gunzip = createGunzip();
        res.pipe(gunzip);
        gunzip.once('data', (chunk: Buffer) => {
          resolve({ at: Date.now() - started, text: chunk.toString() });
          res.destroy();
        });
        gunzip.on('error', () => undefined);
      });
      req.on('error', reject);
      req.end();
    });
    expect(firstDecoded.at, 'decoded before the upstream sent the rest (800 ms later)').to.be.below(600);
    expect(BIG.startsWith(firstDecoded.text)).to.equal(true);
  });

  it('never compresses an event stream', async () => {
    const res = await get(base, '/events', { 'accept-encoding': 'br, gzip' });
    expect(res.headers['content-encoding']).to.equal(undefined);
    expect(res.body.toString()).to.equal(`data: ${BIG}\n\n`);
  });

  it('aborts a streamed answer whose upstream fails mid-body instead of leaving the client waiting, and keeps serving', async () => {
    const started = Date.now();
    const outcome = await get(base, '/broken', { 'accept-encoding': 'gzip' }).then(
      (res) => `completed ${res.status}`,
      (err: Error) => `aborted: ${err.message}`,
    );
    expect(outcome).to.match(/^aborted/);
    expect(Date.now() - started).to.be.below(3_000);
    expect((await get(base, '/big', { 'accept-encoding': 'gzip' })).decoded()).to.equal(BIG);
  });

  it('compresses a composed answer', async () => {
    const res = await get(base, '/composed', { 'accept-encoding': 'br' });
    expect(res.headers['content-encoding']).to.equal('br');
    expect(JSON.parse(res.decoded())).to.deep.equal({ a: JSON.parse(BIG), b: JSON.parse(BIG) });
  });

  it('compresses what a code handler answers as a JS object, as the JSON Koa would send', async () => {
    const res = await get(base, '/handled', { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).to.equal('gzip');
    expect(res.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(res.decoded()).to.equal(BIG);
  });

  it('compresses a whole body past 64 KiB too (on zlib’s thread pool), with its length', async () => {
    const res = await get(base, '/handled-big', { 'accept-encoding': 'br' });
    expect(res.headers['content-encoding']).to.equal('br');
    expect(res.headers['content-length']).to.equal(String(res.body.length));
    const decoded = res.decoded();
    expect(Buffer.byteLength(decoded)).to.be.above(64 * 1024);
    expect(JSON.parse(decoded)).to.deep.equal({ pages: Array.from({ length: 40 }, () => JSON.parse(BIG) as unknown) });
  });

  it('stores one uncompressed entry and encodes each hit for its own client', async () => {
    const miss = await get(base, '/cached', { 'accept-encoding': 'gzip' });
    expect(miss.headers['x-cache']).to.equal('MISS');
    expect(miss.headers['content-encoding']).to.equal('gzip');
    const plain = await get(base, '/cached');
    expect(plain.headers['x-cache']).to.equal('HIT');
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.body.toString()).to.equal(BIG);
    const br = await get(base, '/cached', { 'accept-encoding': 'br' });
    expect(br.headers['x-cache']).to.equal('HIT');
    expect(br.headers['content-encoding']).to.equal('br');
    expect(br.decoded()).to.equal(BIG);
    expect(br.headers.vary).to.match(/accept-encoding/i);
  });

  it('answers HEAD with the headers the GET would get, and no body', async () => {
    // Proxied: the upstream's HEAD tells no compressed length, so none is sent (RFC 9110 §9.3.2 allows that).
    const proxied = await get(base, '/big', { 'accept-encoding': 'br' }, 'HEAD');
    expect(proxied.status).to.equal(200);
    expect(proxied.headers['content-encoding']).to.equal('br');
    expect(proxied.headers['content-length']).to.equal(undefined);
    expect(proxied.headers.etag).to.equal('W/"v1"');
    expect(proxied.body.length).to.equal(0);
    // A whole body (a composition) is compressed for its length, as the GET sends it.
    const composedGet = await get(base, '/composed', { 'accept-encoding': 'gzip' });
    const composedHead = await get(base, '/composed', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(composedHead.headers['content-encoding']).to.equal('gzip');
    expect(composedHead.headers['content-length']).to.equal(composedGet.headers['content-length']);
    expect(composedHead.body.length).to.equal(0);
    const plain = await get(base, '/big', {}, 'HEAD');
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.headers['content-length']).to.equal(String(BIG.length));
  });

  it('never compresses a route that did not ask for it, and answers faults as plain problem+json', async () => {
    const plain = await get(base, '/plain', { 'accept-encoding': 'br, gzip' });
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.body.toString()).to.equal(BIG);
    const missing = await get(base, '/missing', { 'accept-encoding': 'br, gzip' });
    expect(missing.status).to.equal(502);
    expect(missing.headers['content-type']).to.equal('application/problem+json');
    expect(missing.headers['content-encoding']).to.equal(undefined);
    expect(missing.body.toString()).to.not.contain('db-3.internal');
  });
});
