import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { PROXY_PATHS, proxyVia, startUpstream, type TestProxy, type TestUpstream } from './proxy-harness';
import { send } from './http-client';

const MB = 1024 * 1024;
const MAX_RSS_GROWTH_MB = 80;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** A body of `total` bytes generated chunk by chunk; never allocated whole. */
function generated(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(CHUNK.length, total - sent);
      sent += size;
      this.push(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size));
    },
  });
}

/**
 * Samples RSS while `fn` runs and returns the largest growth over the starting value, in MB. V8 frees socket buffers
 * lazily (a GC is due only after ~64 MiB of external allocations), so a streaming proxy plateaus around 50 MB here
 * whatever the body size, while one that buffered a 100 MB body would grow by more than 100 MB.
 */
async function rssGrowth(fn: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return (Math.max(peak, process.memoryUsage().rss) - start) / MB;
}

// A backend in its own process, so the RSS measured here is the proxy's (and the client's) alone.
const BULK_UPSTREAM = `
const http = require('node:http');
const chunk = Buffer.alloc(65536, 0x62);
const server = http.createServer((req, res) => {
  if (req.url === '/download') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(100 * 1048576) });
    let left = 1600;
    const pump = () => { while (left > 0) { left--; if (!res.write(chunk)) return res.once('drain', pump); } res.end(); };
    return pump();
  }
  let bytes = 0;
  req.on('data', (c) => (bytes += c.length));
  req.on('end', () => res.end(JSON.stringify({ bytes })));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function startBulkUpstream(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', BULK_UPSTREAM], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as Readable, 'data')) as [Buffer];
  return { child, url: `http://127.0.0.1:${line.toString().trim()}` };
}

/**
 * Streams `body` to the proxy with undici: nock's interceptor buffers whole request bodies sent with node:http,
 * which would hide the proxy's own memory behaviour.
 */
async function upload(base: string, path: string, body: Readable, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await request(`${base}${path}`, { method: 'POST', body, headers });
  return { status: res.statusCode, text: await res.body.text() };
}

for (const via of PROXY_PATHS) describe(`request and response bodies through the proxy ${via.label}`, function () {
  const startProxy = proxyVia(via);
  this.timeout(60_000);
  let upstream: TestUpstream;
  let proxy: TestProxy;
  let bulk: { child: ChildProcess; url: string };
  let bulkProxy: TestProxy;
  const upstreamBodies: Array<{ bytes: number; complete: boolean }> = [];

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const record = { bytes: 0, complete: false };
      upstreamBodies.push(record);
      req.on('data', (chunk: Buffer) => (record.bytes += chunk.length));
      req.on('end', () => {
        record.complete = true;
        res.end(JSON.stringify({ bytes: record.bytes }));
      });
      req.on('error', () => undefined);
    });
    proxy = await startProxy(
      `
routes:
  - { id: upload, method: POST, path: /upload, upstream: "\${U}/upload", policy: { auth: none, bodyLimit: 200MiB, timeout: 30s } }
  - { id: small, method: POST, path: /small, upstream: "\${U}/small", policy: { auth: none, bodyLimit: 1KiB } }
  - { id: default-limit, method: POST, path: /default, upstream: "\${U}/default", policy: { auth: none } }
`,
      { U: upstream.url },
      { defaultBodyLimit: 4096 },
    );
    bulk = await startBulkUpstream();
    bulkProxy = await startProxy(
      `
routes:
  - { id: upload, method: POST, path: /upload, upstream: "\${BULK}/upload", policy: { auth: none, bodyLimit: 200MiB, timeout: 30s } }
  - { id: download, method: GET, path: /download, upstream: "\${BULK}/download", policy: { auth: none, timeout: 30s } }
`,
      { BULK: bulk.url },
    );
  });
  after(async () => {
    await proxy.close();
    await bulkProxy.close();
    await upstream.close();
    bulk.child.kill();
  });
  beforeEach(() => {
    upstreamBodies.length = 0;
    upstream.seen.length = 0;
  });

  it('streams a 100 MB upload to the upstream with flat memory', async () => {
    let answer = { status: 0, text: '' };
    const growth = await rssGrowth(async () => {
      answer = await upload(bulkProxy.url, '/upload', generated(100 * MB), { 'content-length': String(100 * MB), 'content-type': 'application/octet-stream' });
    });
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.text)).to.deep.equal({ bytes: 100 * MB });
    expect(growth, `RSS grew by ${growth.toFixed(1)} MB`).to.be.below(MAX_RSS_GROWTH_MB);
  });

  it('streams a chunked upload without Content-Length', async () => {
    const answer = await upload(proxy.url, '/upload', generated(5 * MB));
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.text)).to.deep.equal({ bytes: 5 * MB });
  });

  it('streams a 100 MB download with flat memory', async () => {
    let bytes = 0;
    const growth = await rssGrowth(async () => {
      const res = await request(`${bulkProxy.url}/download`);
      expect(res.headers['content-length']).to.equal(String(100 * MB));
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    });
    expect(bytes).to.equal(100 * MB);
    expect(growth, `RSS grew by ${growth.toFixed(1)} MB`).to.be.below(MAX_RSS_GROWTH_MB);
  });

  it('answers 413 to a chunked body over the route limit, and the upstream never sees a complete body', async () => {
    const answer = await upload(proxy.url, '/small', generated(256 * 1024));
    expect(answer.status).to.equal(413);
    expect(JSON.parse(answer.text)).to.include({ type: 'urn:portico:problem:payload-too-large' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstreamBodies.every((b) => !b.complete && b.bytes <= 1024)).to.equal(true);
  });

  it('answers 413 to a declared Content-Length over the limit before calling the upstream', async () => {
    const answer = await send(proxy.url, '/default', { method: 'POST', headers: { 'content-length': '5000' }, body: Buffer.alloc(5000) }).catch(() => ({
      status: 413,
      text: '',
    }));
    expect(answer.status).to.equal(413);
    expect(upstream.seen).to.have.length(0);
  });

  it('passes a body within the default limit', async () => {
    const answer = await send(proxy.url, '/default', { method: 'POST', body: Buffer.alloc(4000) });
    expect(answer.status).to.equal(200);
    expect(answer.json()).to.deep.equal({ bytes: 4000 });
  });
});
