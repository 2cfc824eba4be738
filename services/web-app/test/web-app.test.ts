/** The web-app server over real loopback HTTP: static files, /config.json, health, security headers and refusals. */
import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { ConfigError } from '@portico/edge';
import { contentSecurityPolicy, createWebApp, type WebApp } from '../src/web-app';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// node:http sends the path exactly as given, so traversal attempts reach the server unnormalised.
function get(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe('web-app server', () => {
  let app: WebApp;
  let port: number;

  before(async () => {
    app = createWebApp({ env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', WEB_BFF_URL: 'http://127.0.0.1:9882/' } });
    port = (await app.listen({ signals: false })).port;
  });
  after(() => new Promise<void>((resolve) => app.server.close(() => resolve())));

  it('serves the page as HTML with a CSP that allows only itself and the web BFF (http and ws)', async () => {
    const res = await get(port, '/');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect(res.body).to.contain('<ol id="progress"').and.to.contain('aria-live="polite"');
    expect(res.headers['content-security-policy']).to.equal(contentSecurityPolicy('http://127.0.0.1:9882'));
    expect(res.headers['content-security-policy']).to.contain("connect-src 'self' http://127.0.0.1:9882 ws://127.0.0.1:9882");
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
  });

  it('serves the scripts as JavaScript modules and the styles as CSS', async () => {
    for (const [path, type] of [
      ['/app.js', 'text/javascript'],
      ['/live.js', 'text/javascript'],
      ['/app.css', 'text/css'],
    ]) {
      const res = await get(port, path as string);
      expect(res.status, path).to.equal(200);
      expect(res.headers['content-type'], path).to.equal(`${type}; charset=utf-8`);
      expect(Number(res.headers['content-length'])).to.equal(Buffer.byteLength(res.body));
    }
  });

  it('answers /config.json with the web BFF URL from WEB_BFF_URL, not cached', async () => {
    const res = await get(port, '/config.json');
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ webBffUrl: 'http://127.0.0.1:9882' });
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('answers 304 to a revalidation with the current ETag, and HEAD with headers only', async () => {
    const first = await get(port, '/app.js');
    const again = await get(port, '/app.js', { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.status).to.equal(304);
    expect(again.body).to.equal('');
    const head = await get(port, '/app.js', { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.headers['content-length']).to.equal(first.headers['content-length']);
    expect(head.body).to.equal('');
  });

  it('refuses traversal with 400 problem+json and never sends a file from outside public/', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e/src/main.ts', '/..\\package.json']) {
      const res = await get(port, path);
      expect(res.status, path).to.equal(400);
      expect(res.headers['content-type']).to.equal('application/problem+json');
      expect(JSON.parse(res.body).type).to.equal('urn:portico:problem:invalid-path');
      expect(res.body).not.to.contain('@portico/web-app');
    }
  });

  it('answers 404 problem+json for a missing file and 405 with Allow for other methods', async () => {
    const missing = await get(port, '/nothing-here.js');
    expect(missing.status).to.equal(404);
    expect(JSON.parse(missing.body).type).to.equal('urn:portico:problem:not-found');
    const post = await get(port, '/', { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.allow).to.equal('GET, HEAD');
  });

  it('answers /livez always and /readyz until draining starts (503 then)', async () => {
    expect((await get(port, '/livez')).status).to.equal(200);
    expect((await get(port, '/readyz')).status).to.equal(200);
    app.startDraining();
    const draining = await get(port, '/readyz');
    expect(draining.status).to.equal(503);
    expect(JSON.parse(draining.body).type).to.equal('urn:portico:problem:draining');
    expect((await get(port, '/livez')).status).to.equal(200);
  });
});

describe('createWebApp configuration', () => {
  it('refuses a WEB_BFF_URL that is not an http(s) URL, naming the variable', () => {
    expect(() => createWebApp({ env: { PORT: '0', WEB_BFF_URL: 'ftp://example' } }))
      .to.throw(ConfigError)
      .with.property('problems')
      .that.satisfies((problems: string[]) => problems.some((p) => p.startsWith('WEB_BFF_URL')));
  });
});
