import { expect } from 'chai';
import { startBff, type StartedBff } from '@portico/testing';
import { startUpstream, type TestUpstream } from '../proxy/proxy-harness';

// The same four parts on a direct route (no edge functions) and on one the Koa chain serves (a rate limit), plus a
// cached composition whose optional part can be made to fail.
const PARTS = `
      parts:
        - { key: pretty, upstream: u, path: /pretty, required: true }
        - { key: trimmed, upstream: u, path: /pretty, fields: [name] }
        - { key: latin, upstream: u, path: /latin }
        - { key: empty, upstream: u, path: /empty }`;
const ROUTES = `
routes:
  # Names \${U}, from which createBff makes the upstream \`u\` the parts call.
  - id: pass
    method: GET
    path: /pass
    upstream: "\${U}/pretty"
    policy: { auth: none }
  - id: direct
    method: GET
    path: /direct
    compose:${PARTS}
    policy: { auth: none }
  - id: chained
    method: GET
    path: /chained
    compose:${PARTS}
    policy: { auth: none, rateLimit: { limit: 1000, per: 1m } }
  - id: cached
    method: GET
    path: /cached
    compose:
      parts:
        - { key: first, upstream: u, path: /pretty, required: true }
        - { key: flaky, upstream: u, path: /flaky }
    policy: { auth: none, cache: { ttl: 30s, public: true } }
`;

// Indented, with a raw "é" and an escaped one: what the backend sent, byte for byte, is what a client gets.
const PRETTY = '{\n  "name": "Caf\u00e9",\n  "alias": "Caf\\u00e9",\n  "n": 1.50\n}\n';
// Not UTF-8: 0xe9 alone is "é" in Latin-1. JSON.parse sees U+FFFD there, so the answer carries that, in UTF-8.
const LATIN = Buffer.concat([Buffer.from('{"name":"Caf'), Buffer.from([0xe9]), Buffer.from('"}')]);

async function bytes(url: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe('composed answers: parts passed on as sent', function () {
  this.timeout(20_000);
  let upstream: TestUpstream;
  let bff: StartedBff;
  let base: string;
  let flaky = false;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const json = { 'content-type': 'application/json' };
      if (req.url === '/pretty') return void res.writeHead(200, json).end(PRETTY);
      if (req.url === '/latin') return void res.writeHead(200, json).end(LATIN);
      if (req.url === '/empty') return void res.writeHead(204).end();
      if (req.url === '/flaky') return void (flaky ? res.writeHead(500).end() : res.writeHead(200, json).end('{"ok": true}'));
      res.writeHead(404).end();
    });
    bff = await startBff({ serviceName: 'composed-json', routes: ROUTES, env: { U: upstream.url } });
    base = bff.url;
  });
  after(async () => {
    await bff.close();
    await upstream.close();
  });

  it('copies an untouched part as sent and serialises the rest, on the direct route and through the Koa chain alike', async () => {
    const direct = await bytes(`${base}/direct`);
    const chained = await bytes(`${base}/chained`);
    expect(chained.headers.get('ratelimit-policy'), 'the chained route runs its edge function').to.be.a('string');
    for (const answer of [direct, chained]) {
      expect(answer.status).to.equal(200);
      expect(answer.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(answer.headers.get('content-length')).to.equal(String(answer.body.length));
    }
    expect(direct.body.equals(chained.body)).to.equal(true);
    // Bytes, not decoded text: decoding would turn a stray 0xe9 into U+FFFD too.
    expect(direct.body.includes(Buffer.from([0xe9]))).to.equal(false);
    expect(direct.body.includes(Buffer.from('"latin":{"name":"Caf\ufffd"}'))).to.equal(true);
    expect(direct.body.toString('utf8')).to.equal(`{"pretty":${PRETTY},"trimmed":{"name":"Café"},"latin":{"name":"Caf\ufffd"},"empty":null}`);
    expect(JSON.parse(direct.body.toString('utf8'))).to.deep.equal({ pretty: { name: 'Café', alias: 'Café', n: 1.5 }, trimmed: { name: 'Café' }, latin: { name: 'Caf\ufffd' }, empty: null });
  });

  it('keeps a part whole under ?fields= and serialises what the selection trims', async () => {
    const whole = await bytes(`${base}/direct?fields=pretty,trimmed.name`);
    expect(whole.body.toString('utf8')).to.equal(`{"pretty":${PRETTY},"trimmed":{"name":"Café"}}`);
    const trimmed = await bytes(`${base}/chained?fields=pretty.n`);
    expect(trimmed.body.toString('utf8')).to.equal('{"pretty":{"n":1.5}}');
  });

  it('answers HEAD with the length of the same body and none of it', async () => {
    for (const path of ['/direct', '/chained']) {
      const res = await fetch(`${base}${path}`, { method: 'HEAD' });
      expect(res.status, path).to.equal(200);
      expect(res.headers.get('content-length'), path).to.equal(String((await bytes(`${base}${path}`)).body.length));
      expect((await res.arrayBuffer()).byteLength, path).to.equal(0);
    }
  });

  it('never caches an answer that lacks a part, and caches a whole one', async () => {
    flaky = true;
    const partial = await bytes(`${base}/cached`);
    expect(JSON.parse(partial.body.toString('utf8'))).to.include({ flaky: null }).and.have.property('_errors');
    const again = await bytes(`${base}/cached`);
    expect(again.headers.get('x-cache'), 'a partial answer is not stored').to.equal('MISS');
    flaky = false;
    const whole = await bytes(`${base}/cached`);
    expect(whole.headers.get('x-cache')).to.equal('MISS');
    expect(JSON.parse(whole.body.toString('utf8'))).to.deep.equal({ first: JSON.parse(PRETTY), flaky: { ok: true } });
    const hit = await bytes(`${base}/cached`);
    expect(hit.headers.get('x-cache')).to.equal('HIT');
    expect(hit.body.equals(whole.body)).to.equal(true);
    expect(upstream.seen.filter((s) => s.url === '/flaky')).to.have.length(3);
  });
});
