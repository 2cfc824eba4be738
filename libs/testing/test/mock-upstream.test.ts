/** The mock upstream answers as scripted, records what it received, and fails in each injected way as a real client sees it. */
import { expect } from 'chai';
import { Agent, type Dispatcher } from 'undici';
import { startMockUpstream, type MockUpstream } from '../src/mock-upstream';

describe('startMockUpstream', () => {
  let upstream: MockUpstream;
  let agent: Agent;

  const call = (path: string, options: Partial<Dispatcher.RequestOptions> = {}) => agent.request({ origin: upstream.url, method: 'GET', path, ...options });

  async function failureOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
    try {
      await promise;
    } catch (err) {
      return err as Error & { code?: string };
    }
    throw new Error('expected the call to fail');
  }

  beforeEach(async () => {
    upstream = await startMockUpstream({ 'GET /orders/1': { json: { id: '1' }, headers: { 'x-upstream': 'order' } } });
    agent = new Agent();
  });

  afterEach(async () => {
    await agent.close();
    await upstream.stop();
  });

  it('listens on 127.0.0.1 and answers a route given at start with its JSON, status and headers', async () => {
    expect(upstream.url).to.equal(`http://127.0.0.1:${upstream.port}`);
    const res = await call('/orders/1');
    expect(res.statusCode).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json');
    expect(res.headers['x-upstream']).to.equal('order');
    expect(await res.body.json()).to.deep.equal({ id: '1' });
  });

  it('lets the latest on() script win and matches any method with * and a prefix with a trailing *', async () => {
    upstream.on('GET', '/orders/1', { status: 410, body: 'gone' });
    upstream.on('*', '/menu/*', { status: 201, json: { ok: true } });
    const replaced = await call('/orders/1');
    expect(replaced.statusCode).to.equal(410);
    expect(await replaced.body.text()).to.equal('gone');
    const prefixed = await call('/menu/items/7?lang=en', { method: 'DELETE' });
    expect(prefixed.statusCode).to.equal(201);
    await prefixed.body.dump();
  });

  it('answers 404 naming the request when nothing is scripted for it', async () => {
    const res = await call('/nowhere');
    expect(res.statusCode).to.equal(404);
    expect(await res.body.json()).to.deep.equal({ error: 'no mock route for GET /nowhere' });
  });

  it('passes the recorded request to a handler and sends what it returns, or lets it write the response itself', async () => {
    upstream.on('POST', '/echo', (req) => ({ status: 202, json: { got: req.body.toString(), q: req.path } }));
    upstream.on('GET', '/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      res.end('b');
    });
    const echoed = await call('/echo?x=1', { method: 'POST', body: 'hello' });
    expect(echoed.statusCode).to.equal(202);
    expect(await echoed.body.json()).to.deep.equal({ got: 'hello', q: '/echo?x=1' });
    const streamed = await call('/stream');
    expect(await streamed.body.text()).to.equal('ab');
  });

  it('answers 500 naming the error when a handler throws', async () => {
    upstream.on('GET', '/boom', () => {
      throw new Error('bad script');
    });
    const res = await call('/boom');
    expect(res.statusCode).to.equal(500);
    expect(await res.body.json()).to.deep.equal({ error: 'mock handler threw: bad script' });
  });

  it('records method, path, pathname, headers and body bytes of every request, and counts them by method and path', async () => {
    upstream.on('PUT', '/orders/1', { status: 204 });
    const payload = Buffer.from([0, 1, 2, 255]);
    await (await call('/orders/1?fields=id', { method: 'PUT', body: payload, headers: { 'x-request-id': 'r-1' } })).body.dump();
    await (await call('/orders/1')).body.dump();
    expect(upstream.requests).to.have.length(2);
    const [put] = upstream.requests;
    expect(put).to.include({ method: 'PUT', path: '/orders/1?fields=id', pathname: '/orders/1' });
    expect(put?.headers['x-request-id']).to.equal('r-1');
    expect(put?.body.equals(payload)).to.equal(true);
    expect(upstream.count()).to.equal(2);
    expect(upstream.count('GET')).to.equal(1);
    expect(upstream.count('put', '/orders/1')).to.equal(1);
    expect(upstream.count(undefined, '/orders/2')).to.equal(0);
  });

  it('delays every answer by setLatency and a single route by its delayMs', async () => {
    upstream.setLatency(120);
    let started = Date.now();
    await (await call('/orders/1')).body.dump();
    expect(Date.now() - started).to.be.at.least(110);
    upstream.setLatency(0);
    upstream.on('GET', '/slow', { json: {}, delayMs: 150 });
    started = Date.now();
    await (await call('/slow')).body.dump();
    expect(Date.now() - started).to.be.at.least(140);
    started = Date.now();
    await (await call('/orders/1')).body.dump();
    expect(Date.now() - started).to.be.below(100);
  });

  it("failNext(n, 'reset') resets the connection with a TCP RST", async () => {
    upstream.failNext(1, 'reset');
    expect((await failureOf(call('/orders/1'))).code).to.equal('ECONNRESET');
  });

  it("failNext(n, 'close') closes the socket without answering", async () => {
    upstream.failNext(1, 'close');
    const err = await failureOf(call('/orders/1'));
    expect(err.code).to.equal('UND_ERR_SOCKET');
    expect(err.message).to.equal('other side closed');
  });

  it("failNext(n, 'hang') never answers, and stop() still returns promptly", async () => {
    upstream.failNext(1, 'hang');
    const err = await failureOf(call('/orders/1', { headersTimeout: 200 }));
    expect(err.code).to.equal('UND_ERR_HEADERS_TIMEOUT');
    upstream.failNext(1, 'hang');
    const pending = failureOf(call('/orders/1'));
    while (upstream.count() < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await upstream.stop();
    expect(Date.now() - started).to.be.below(500);
    expect((await pending).code).to.equal('UND_ERR_SOCKET');
  });

  it("failNext(n, 'status500') answers 500 with a JSON body", async () => {
    upstream.failNext(1, 'status500');
    const res = await call('/orders/1');
    expect(res.statusCode).to.equal(500);
    expect(await res.body.json()).to.deep.equal({ error: 'injected failure' });
  });

  it("failNext(n, 'malformed') answers bytes that are not HTTP", async () => {
    upstream.failNext(1, 'malformed');
    const err = await failureOf(call('/orders/1'));
    expect(err.name).to.equal('HTTPParserError');
  });

  it('fails exactly the next n requests, queued in order, then answers as scripted again and records them all', async () => {
    upstream.failNext(2, 'status500');
    upstream.failNext(1, 'close');
    const statuses: Array<number | string> = [];
    for (let i = 0; i < 4; i += 1) {
      try {
        const res = await call('/orders/1');
        await res.body.dump();
        statuses.push(res.statusCode);
      } catch (err) {
        statuses.push((err as { code: string }).code);
      }
    }
    expect(statuses).to.deep.equal([500, 500, 'UND_ERR_SOCKET', 200]);
    expect(upstream.count('GET', '/orders/1')).to.equal(4);
  });

  it('keeps connections alive like a Node upstream (timeout=5) so a pool reuses one socket', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await call('/orders/1');
      expect(res.headers['keep-alive']).to.equal('timeout=5');
      await res.body.dump();
      await new Promise(setImmediate); // undici frees the socket for the next request a tick after the body ends
    }
    expect(upstream.connections).to.equal(1);
  });

  it('refuses connections after stop() and answers again on the same port after restart()', async () => {
    const port = upstream.port;
    await upstream.stop();
    const fresh = new Agent(); // a pooled socket may not have seen the close yet; a new one meets the closed port
    try {
      expect((await failureOf(fresh.request({ origin: upstream.url, method: 'GET', path: '/orders/1' }))).code).to.equal('ECONNREFUSED');
    } finally {
      await fresh.close();
    }
    await upstream.restart();
    expect(upstream.port).to.equal(port);
    const res = await call('/orders/1');
    expect(res.statusCode).to.equal(200);
    await res.body.dump();
  });

  it('reset() forgets recorded requests, queued failures and latency but keeps the scripts', async () => {
    await (await call('/orders/1')).body.dump();
    upstream.failNext(1, 'status500');
    upstream.setLatency(300);
    upstream.reset();
    const started = Date.now();
    const res = await call('/orders/1');
    expect(res.statusCode).to.equal(200);
    await res.body.dump();
    expect(Date.now() - started).to.be.below(200);
    expect(upstream.count()).to.equal(1);
  });
});
