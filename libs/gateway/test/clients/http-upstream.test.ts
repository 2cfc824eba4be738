import { expect } from 'chai';
import { Readable } from 'node:stream';
import { isEdgeError, type EdgeError } from '@portico/edge';
import { createUpstreams, type UpstreamsDeps, type UpstreamPolicyOverrides, type Upstreams } from '../../src/clients/upstreams';
import type { UpstreamCall } from '../../src/clients/upstream-types';
import { upstreamFault } from '../../src/upstream-faults';
import { json, memoryLogger, sleep, stallingAnswer, startUpstream, type ScriptedUpstream } from './scripted-upstream';

function call(overrides: Partial<UpstreamCall> = {}): UpstreamCall {
  return { method: 'GET', path: '/orders/1', headers: {}, deadline: Date.now() + 2000, retries: 2, operation: 'get-order', ...overrides };
}

async function failure(p: Promise<unknown>): Promise<EdgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isEdgeError(err)) throw new Error(`expected an EdgeError, got ${String(err)}`);
  return err;
}

describe('HttpUpstream.dispatch', () => {
  let up: ScriptedUpstream;
  let upstreams: Upstreams | undefined;
  const recorded: Array<[string, string, string, number]> = [];
  const make = (policy: UpstreamPolicyOverrides = {}, extra: Pick<UpstreamsDeps, 'clientSpans'> = {}) => {
    upstreams = createUpstreams(
      { order: { url: `${up.url}/ignored-base`, policy: { breaker: { minimumCalls: 1000 }, ...policy } } },
      { logger: memoryLogger(), metrics: { recordUpstream: (l, ms) => recorded.push([l.upstream, l.operation, l.outcome, ms / 1000]) }, ...extra },
    );
    return upstreams.get('order');
  };

  before(async () => {
    up = await startUpstream();
  });
  after(() => up.close());
  beforeEach(() => {
    up.reset();
    recorded.length = 0;
    up.handler = (_req, res) => json(res, 200, { ok: true });
  });
  afterEach(async () => {
    await upstreams?.close();
    upstreams = undefined;
  });

  describe('retries', () => {
    it('retries a GET on 503 and resolves with the later success', async () => {
      up.handler = (_req, res, hit) => (hit === 1 ? json(res, 503, { down: true }) : json(res, 200, { ok: true }));
      const res = await make().dispatch(call());
      expect(res.statusCode).to.equal(200);
      expect(await res.json()).to.deep.equal({ ok: true });
      expect(up.hits).to.equal(2);
    });

    it('sends a POST exactly once, even on 503', async () => {
      up.handler = (_req, res) => json(res, 503, {});
      const res = await make().dispatch(call({ method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' }, retries: 2 }));
      await res.dump();
      expect(res.statusCode).to.equal(503);
      await sleep(50);
      expect(up.hits).to.equal(1);
    });

    it('sends a streamed body once, whatever retries are asked for', async () => {
      up.handler = (_req, res) => json(res, 503, {});
      const res = await make().dispatch(call({ method: 'PUT', body: Readable.from([Buffer.from('{"a":1}')]), retries: 2 }));
      await res.dump();
      await sleep(50);
      expect(up.hits).to.equal(1);
    });

    it('retries at most twice', async () => {
      up.handler = (_req, res) => json(res, 502, {});
      const res = await make().dispatch(call({ retries: 5 }));
      await res.dump();
      expect(res.statusCode).to.equal(502);
      expect(up.hits).to.equal(3);
    });

    for (const status of [400, 404, 429, 500]) {
      it(`does not retry ${status}`, async () => {
        up.handler = (_req, res) => json(res, status, {});
        const res = await make().dispatch(call());
        await res.dump();
        expect(res.statusCode).to.equal(status);
        expect(up.hits).to.equal(1);
      });
    }

    it('caps retries with the retry budget under sustained failure', async () => {
      up.handler = (_req, res) => json(res, 503, {});
      const order = make({ retry: { budgetRatio: 0.2, budgetMinimum: 0, baseDelayMs: 1, maxDelayMs: 2 } });
      for (let i = 0; i < 50; i++) await (await order.dispatch(call())).dump();
      // Without a budget: 150 requests. With 20%: 50 first tries plus at most ~10 retries.
      expect(up.hits).to.be.within(50, 61);
    });

    it('retries after a per-try timeout and succeeds on the next try', async () => {
      up.handler = async (_req, res, hit) => {
        if (hit === 1) await sleep(400);
        json(res, 200, { hit });
      };
      const started = Date.now();
      const res = await make().dispatch(call({ tryTimeoutMs: 100 }));
      expect(await res.json()).to.deep.equal({ hit: 2 });
      expect(Date.now() - started).to.be.below(400);
    });
  });

  describe('timeouts', () => {
    it('answers 504 UPSTREAM_TIMEOUT when a try exceeds its timeout', async () => {
      up.handler = async (_req, res) => {
        await sleep(500);
        json(res, 200, {});
      };
      const started = Date.now();
      const err = await failure(make().dispatch(call({ tryTimeoutMs: 100, retries: 0 })));
      expect(Date.now() - started).to.be.within(90, 300);
      expect(err).to.include({ code: 'UPSTREAM_TIMEOUT', status: 504, detail: 'order service: no answer within 100 ms' });
      expect(recorded[0]?.slice(0, 3)).to.deep.equal(['order', 'get-order', 'timeout']);
    });

    it('lets a streamed upload take longer to send than the per-try timeout, then times the answer from the end of the body', async () => {
      up.handler = async (req, res) => {
        let bytes = 0;
        for await (const chunk of req) bytes += (chunk as Buffer).length;
        json(res, 200, { bytes });
      };
      async function* slowBody() {
        for (let i = 0; i < 6; i++) {
          await sleep(60);
          yield Buffer.alloc(1024, 97);
        }
      }
      const res = await make().dispatch(call({ method: 'PUT', body: Readable.from(slowBody()), retries: 0, tryTimeoutMs: 150 }));
      expect(await res.json()).to.deep.equal({ bytes: 6 * 1024 });

      up.handler = async (req, res) => {
        for await (const _chunk of req) void _chunk;
        await sleep(400);
        json(res, 200, {});
      };
      const started = Date.now();
      const err = await failure(make().dispatch(call({ method: 'PUT', body: Readable.from([Buffer.from('x')]), retries: 0, tryTimeoutMs: 150 })));
      expect(err).to.include({ code: 'UPSTREAM_TIMEOUT', status: 504 });
      expect(Date.now() - started).to.be.below(380);
    });

    it('stops every try at the route deadline and answers 504 DEADLINE_EXCEEDED', async () => {
      up.handler = async (_req, res) => {
        await sleep(1000);
        json(res, 200, {});
      };
      const started = Date.now();
      const err = await failure(make().dispatch(call({ deadline: Date.now() + 150, retries: 2 })));
      const elapsed = Date.now() - started;
      expect(elapsed).to.be.within(140, 400);
      expect(err).to.include({ code: 'DEADLINE_EXCEEDED', status: 504 });
      expect(up.hits).to.equal(1);
    });

    it('fails at once when the deadline has already passed, without calling the upstream', async () => {
      const err = await failure(make().dispatch(call({ deadline: Date.now() - 1 })));
      expect(err.status).to.equal(504);
      expect(up.hits).to.equal(0);
    });

    it('answers 502 UPSTREAM_UNREACHABLE when nothing listens, without host or port', async () => {
      const gone = await startUpstream();
      const url = gone.url;
      await gone.close();
      upstreams = createUpstreams({ order: { url, policy: { retry: { baseDelayMs: 1, maxDelayMs: 2 } } } }, { logger: memoryLogger() });
      const err = await failure(upstreams.get('order').dispatch(call()));
      expect(err).to.include({ code: 'UPSTREAM_UNREACHABLE', status: 502, detail: 'order service: connection refused' });
      expect(JSON.stringify(err.detail)).not.to.contain(new URL(url).port);
    });
  });

  describe('breaker', () => {
    const small = { breaker: { minimumCalls: 20, openMs: 150 }, retry: { maxRetries: 0 } };

    it('does not open on one failure', async () => {
      up.handler = (_req, res) => json(res, 500, {});
      const order = make(small);
      await (await order.dispatch(call())).dump();
      expect(order.state).to.equal('closed');
    });

    it('opens at ≥ 50% failures over 20 calls, then fails fast with 503 CIRCUIT_OPEN without touching the upstream', async () => {
      up.handler = (_req, res, hit) => json(res, hit % 2 === 0 ? 500 : 200, {});
      const order = make(small);
      for (let i = 0; i < 20; i++) await (await order.dispatch(call())).dump();
      expect(order.state).to.equal('open');
      const hits = up.hits;
      const started = Date.now();
      const err = await failure(order.dispatch(call()));
      expect(Date.now() - started).to.be.below(20);
      expect(err).to.include({ code: 'CIRCUIT_OPEN', status: 503 });
      expect(err.headers['Retry-After']).to.equal('1');
      expect(up.hits).to.equal(hits);
      expect(recorded.at(-1)?.[2]).to.equal('circuit_open');
    });

    it('does not count 4xx answers as failures', async () => {
      up.handler = (_req, res) => json(res, 404, {});
      const order = make(small);
      for (let i = 0; i < 30; i++) await (await order.dispatch(call())).dump();
      expect(order.state).to.equal('closed');
    });

    it('half-opens after openMs with one probe, refusing others meanwhile, and closes when it succeeds', async () => {
      up.handler = (_req, res) => json(res, 500, {});
      const order = make(small);
      for (let i = 0; i < 20; i++) await (await order.dispatch(call())).dump();
      expect(order.state).to.equal('open');
      await sleep(170);
      expect(order.state).to.equal('half-open');
      up.handler = async (_req, res) => {
        await sleep(100);
        json(res, 200, {});
      };
      const hits = up.hits;
      const probe = order.dispatch(call());
      const second = await failure(order.dispatch(call()));
      expect(second.code).to.equal('CIRCUIT_OPEN');
      await (await probe).dump();
      expect(up.hits).to.equal(hits + 1);
      expect(order.state).to.equal('closed');
    });

    it('aborts the underlying request when a try times out, so the upstream sees the socket close', async () => {
      up.handler = async (_req, res) => {
        await sleep(1000);
        json(res, 200, {});
      };
      const closed = up.nextEarlyClose();
      await failure(make().dispatch(call({ tryTimeoutMs: 80, retries: 0 })));
      await closed;
      expect(up.earlyCloses).to.equal(1);
    });
  });

  describe('bulkhead', () => {
    it('refuses calls beyond maxConcurrent with 503 BULKHEAD_FULL and frees slots as bodies finish', async () => {
      up.handler = async (_req, res) => {
        await sleep(100);
        json(res, 200, {});
      };
      const order = make({ maxConcurrent: 2 });
      const a = order.dispatch(call());
      const b = order.dispatch(call());
      const err = await failure(order.dispatch(call()));
      expect(err).to.include({ code: 'BULKHEAD_FULL', status: 503 });
      expect(err.headers['Retry-After']).to.equal('1');
      await (await a).json();
      await (await b).json();
      const res = await order.dispatch(call());
      await res.dump();
      expect(res.statusCode).to.equal(200);
      expect(up.hits).to.equal(3);
    });
  });

  describe('client going away', () => {
    it('aborts the upstream call when the client signal fires; the upstream sees the socket close', async () => {
      up.handler = async (_req, res) => {
        await sleep(2000);
        json(res, 200, {});
      };
      const client = new AbortController();
      const order = make();
      const closed = up.nextEarlyClose();
      setTimeout(() => client.abort(), 50);
      const err = await failure(order.dispatch(call({ signal: client.signal })));
      expect(err.code).to.equal('CLIENT_CLOSED_REQUEST');
      await closed;
      expect(recorded.at(-1)?.[2]).to.equal('aborted');
      expect(order.state).to.equal('closed');
    });

    it('aborts a response body still streaming when the client goes away', async () => {
      up.handler = (_req, res) => stallingAnswer(res, 'application/json', '[', 2000, ']');
      const client = new AbortController();
      const res = await make().dispatch(call({ signal: client.signal }));
      const closed = up.nextEarlyClose();
      client.abort();
      const bodyErr = await res.text().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(bodyErr).to.be.instanceOf(Error);
      await closed;
    });
  });

  describe('buffered and streamed answers', () => {
    it('reads an answer with a declared length up to bufferBytes whole before resolving, and frees its bulkhead slot', async () => {
      const order = make({ maxConcurrent: 1 });
      const res = await order.dispatch(call());
      expect(res.buffered?.toString()).to.equal('{"ok":true}');
      // Nothing was read from the answer, yet its slot is free: the body is already complete.
      const next = await order.dispatch(call());
      expect(await next.json()).to.deep.equal({ ok: true });
      expect(await res.text()).to.equal('{"ok":true}');
    });

    it('streams an answer larger than bufferBytes, resolving at its headers', async () => {
      let finish = (): void => undefined;
      up.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '20' });
        res.write('0123456789');
        finish = () => res.end('abcdefghij');
      };
      const res = await make({ bufferBytes: 16 }).dispatch(call());
      expect(res.buffered).to.equal(undefined);
      const text = res.text();
      finish();
      expect(await text).to.equal('0123456789abcdefghij');
    });

    it('streams an answer without a declared length', async () => {
      up.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('chunked');
      };
      const res = await make().dispatch(call());
      expect(res.buffered).to.equal(undefined);
      expect(await res.text()).to.equal('chunked');
    });

    it('answers 504 DEADLINE_EXCEEDED when a buffered body stalls past the route deadline, and closes the socket', async () => {
      up.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '10' });
        res.write('[1,');
      };
      const closed = up.nextEarlyClose();
      const started = Date.now();
      const err = await failure(make().dispatch(call({ deadline: Date.now() + 300 })));
      expect(err).to.include({ code: 'DEADLINE_EXCEEDED', status: 504 });
      expect(Date.now() - started).to.be.within(250, 1500);
      await closed;
    });

    it('answers 504 UPSTREAM_TIMEOUT when no headers come within the upstream’s headersTimeoutMs', async () => {
      up.handler = async (_req, res) => {
        await sleep(600);
        json(res, 200, {});
      };
      const started = Date.now();
      const err = await failure(make({ headersTimeoutMs: 150 }).dispatch(call({ retries: 0 })));
      expect(Date.now() - started).to.be.within(130, 500);
      expect(err).to.include({ code: 'UPSTREAM_TIMEOUT', status: 504, detail: 'order service: no answer within 150 ms' });
    });

    it('leaves the wait for headers to the route deadline when headersTimeoutMs is 0', async () => {
      up.handler = async (_req, res) => {
        await sleep(200);
        json(res, 200, { late: true });
      };
      const order = make({ headersTimeoutMs: 0 });
      const res = await order.dispatch(call({ retries: 0 }));
      expect(await res.json()).to.deep.equal({ late: true });
      up.handler = async (_req, res) => {
        await sleep(600);
        json(res, 200, {});
      };
      const err = await failure(order.dispatch(call({ retries: 0, deadline: Date.now() + 250 })));
      expect(err).to.include({ code: 'DEADLINE_EXCEEDED', status: 504 });
    });

    it('fails a streamed body that stalls for bodyTimeoutMs with UPSTREAM_TIMEOUT, and closes the socket', async () => {
      up.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[1,');
      };
      const res = await make({ bodyTimeoutMs: 200 }).dispatch(call());
      expect(res.buffered).to.equal(undefined);
      const closed = up.nextEarlyClose();
      const started = Date.now();
      const bodyErr = await res.text().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).to.be.within(180, 1000);
      expect(upstreamFault(bodyErr, 'order')).to.include({ code: 'UPSTREAM_TIMEOUT', status: 504, detail: 'order service: response body stalled for 200 ms' });
      await closed;
    });

    it('lets a streamed body take longer than bodyTimeoutMs in all while each chunk comes within it', async () => {
      up.handler = async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 5; i++) {
          res.write(String(i));
          await sleep(100);
        }
        res.end();
      };
      const res = await make({ bodyTimeoutMs: 250 }).dispatch(call());
      expect(await res.text()).to.equal('01234');
    });

    it('puts no limit on a streamed body’s stalls when bodyTimeoutMs is 0', async () => {
      up.handler = (_req, res) => stallingAnswer(res, 'text/plain', 'a', 300, 'b');
      const res = await make({ bodyTimeoutMs: 0 }).dispatch(call());
      expect(await res.text()).to.equal('ab');
    });

    it('does not time out a streamed body while its reader, not the upstream, is the one pausing', async () => {
      const size = 4 * 1024 * 1024;
      up.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(size, 7));
      };
      const res = await make({ bodyTimeoutMs: 150 }).dispatch(call());
      // Nothing reads for 3× the idle limit: the socket is paused by backpressure, not stalled by the upstream.
      await sleep(450);
      let bytes = 0;
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
      expect(bytes).to.equal(size);
    });

    it('stops waiting for a call queued behind a full pool when the client goes away', async () => {
      up.handler = async (_req, res) => {
        await sleep(500);
        json(res, 200, {});
      };
      const order = make({ connections: 1 });
      const first = order.dispatch(call());
      const client = new AbortController();
      const queued = failure(order.dispatch(call({ signal: client.signal })));
      setTimeout(() => client.abort(), 50);
      const started = Date.now();
      expect((await queued).code).to.equal('CLIENT_CLOSED_REQUEST');
      expect(Date.now() - started).to.be.below(400);
      expect((await first).statusCode).to.equal(200);
    });
  });

  describe('pool and headers', () => {
    it('reuses keep-alive connections for sequential calls', async () => {
      const order = make();
      for (let i = 0; i < 10; i++) await (await order.dispatch(call())).dump();
      expect(up.hits).to.equal(10);
      // undici may open a second socket while the first finishes its response; never one per call.
      expect(up.sockets).to.be.within(1, 2);
    });

    it('makes one span per call through clientSpans: its trace context in the headers, ended with the answer’s status', async () => {
      const spans: Array<{ origin: string; name: string; attributes: Record<string, string | number>; ended: Array<[number | undefined, boolean]> }> = [];
      const clientSpans = (origin: string) => (name: string, attributes: Record<string, string | number>) => {
        const span = { origin, name, attributes, ended: [] as Array<[number | undefined, boolean]> };
        spans.push(span);
        return {
          inject: (h: Record<string, string | string[]>) => void (h.traceparent = `00-0af7651916cd43dd8448eb211c80319c-${String(spans.length).padStart(16, '0')}-01`),
          end: (status: number | undefined, failed: boolean) => void span.ended.push([status, failed]),
        };
      };
      const order = make({}, { clientSpans });
      await (await order.dispatch(call({ headers: { 'x-request-id': 'r1' }, path: '/orders/1?verbose=1' }))).dump();
      up.handler = (_req, res) => json(res, 503, {});
      await (await order.dispatch(call({ retries: 0 }))).dump();
      expect(up.seen[0]?.traceparent).to.equal('00-0af7651916cd43dd8448eb211c80319c-0000000000000001-01');
      expect(up.seen[0]?.['x-request-id']).to.equal('r1');
      expect(spans.map((s) => [s.origin, s.name, s.attributes['url.path'], s.attributes['portico.upstream'], s.ended])).to.deep.equal([
        [up.url, 'GET order', '/orders/1', 'order', [[200, false]]],
        [up.url, 'GET order', '/orders/1', 'order', [[503, true]]],
      ]);
    });

    it('records one metric per dispatch with upstream, operation, outcome and seconds', async () => {
      up.handler = (_req, res) => json(res, 404, {});
      await (await make().dispatch(call())).dump();
      expect(recorded).to.have.length(1);
      const [name, operation, outcome, seconds] = recorded[0]!;
      expect([name, operation, outcome]).to.deep.equal(['order', 'get-order', 'client_error']);
      expect(seconds).to.be.within(0, 1);
    });
  });
});
