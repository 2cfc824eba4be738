import { expect } from 'chai';
import { join } from 'node:path';
import Redis from 'ioredis';
import { runFixture } from './fixtures/run-fixture';
import type { SpanJson } from './fixtures/span-json';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SERVER = 1;
const CLIENT = 2;

interface FixtureOutput {
  statuses: number[];
  spans: SpanJson[];
  received: Array<string | null>;
  injected: Array<Record<string, string>>;
  decisions: { remaining: number[]; batchReads: number; mixed: number[] };
  accessLog: Array<Record<string, unknown>>;
  started: boolean;
}

async function requireRedis(): Promise<void> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(`Redis is unreachable at ${redisUrl}: ${String(err)}`);
  } finally {
    client.disconnect();
  }
}

for (const mode of ['explicit', 'async-local-storage'] as const) describe(`startTelemetry, TRACE_CONTEXT=${mode} (traced Koa app in a child process)`, function () {
  this.timeout(30_000);
  let result: FixtureOutput;
  let servers: SpanJson[];

  before(async () => {
    await requireRedis();
    result = await runFixture<FixtureOutput>(join(__dirname, 'fixtures', 'traced-app.ts'), { env: { REDIS_URL: redisUrl, TRACE_CONTEXT: mode } });
    servers = result.spans.filter((s) => s.kind === SERVER && s.name.startsWith('GET /orders'));
  });

  it('answers every request and registers the shutdown hook', () => {
    expect(result.statuses).to.deep.equal([200, 200, 200, 200]);
    expect(result.started).to.equal(true);
  });

  it('makes one SERVER span per request, named by the route template with http.route, never the raw path', () => {
    expect(servers).to.have.length(2);
    for (const span of servers) {
      expect(span.name).to.equal('GET /orders/:orderId');
      expect(span.attributes['http.route']).to.equal('/orders/:orderId');
      expect(span.attributes['portico.route.id']).to.equal('get-order');
      expect(span.attributes['portico.request.id']).to.be.a('string');
      expect(span.scope).to.equal('@portico/edge');
      expect(span.attributes['http.request.method']).to.equal('GET');
      expect(span.attributes['http.response.status_code']).to.equal(200);
    }
    expect(servers[0]?.parentSpanId).to.equal(null);
  });

  it('does not trace the liveness probe', () => {
    expect(result.spans.filter((s) => s.attributes['url.path'] === '/livez')).to.deep.equal([]);
  });

  it('makes an undici CLIENT span and a Redis span as children of the server span, in its trace', () => {
    for (const server of servers) {
      const children = result.spans.filter((s) => s.parentSpanId === server.spanId);
      const undici = children.filter((s) => s.scope === '@opentelemetry/instrumentation-undici');
      const redis = children.filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis' && s.name === 'ping');
      expect(undici, 'undici spans').to.have.length(1);
      expect(undici[0]).to.include({ kind: CLIENT, traceId: server.traceId });
      expect(redis, 'redis spans').to.have.length(1);
      expect(redis[0]).to.include({ kind: CLIENT, traceId: server.traceId });
      // Command name only: keys and arguments never reach a span.
      expect(redis[0]?.attributes['db.query.text']).to.equal('ping');
    }
  });

  if (mode === 'explicit') {
    it('leaves a call made after an await without the request’s context out of every trace (no span, no trace of its own)', () => {
      expect(result.spans.filter((s) => s.name === 'echo')).to.deep.equal([]);
    });
  } else {
    it('puts a call made after an await without the request’s context in the request’s trace', () => {
      const echoes = result.spans.filter((s) => s.name === 'echo');
      expect(echoes.map((s) => [s.parentSpanId, s.traceId])).to.deep.equal(servers.map((s) => [s.spanId, s.traceId]));
    });
  }

  it('batches the rate-limit decisions of traced operations into one write, each Redis span in its own trace', () => {
    expect(result.decisions.remaining).to.deep.equal(Array(12).fill(4));
    // The batch, and the admin's INFO: one write per decision would be 13.
    expect(result.decisions.batchReads).to.be.at.most(3);
    for (let i = 0; i < 12; i++) {
      const operation = result.spans.find((s) => s.name === `decide-${i}`)!;
      const redis = result.spans.filter((s) => s.parentSpanId === operation.spanId);
      expect(redis.map((s) => [s.scope, s.name, s.kind, s.traceId]), `decide-${i}`).to.deep.equal([['@opentelemetry/instrumentation-ioredis', 'evalsha', CLIENT, operation.traceId]]);
    }
    expect(new Set(result.spans.filter((s) => s.name.startsWith('decide-')).map((s) => s.traceId)).size).to.equal(12);
  });

  it('gives a decision made outside any trace no Redis span, even in a batch a traced decision started', () => {
    expect(result.decisions.mixed).to.deep.equal([4, 4, 4, 4]);
    const traced = result.spans.find((s) => s.name === 'mixed-traced')!;
    const inTrace = result.spans.filter((s) => s.traceId === traced.traceId);
    expect(inTrace.map((s) => [s.name, s.parentSpanId === traced.spanId])).to.have.deep.members([
      ['mixed-traced', false],
      ['evalsha', true],
    ]);
  });

  it('sends the upstream a W3C traceparent carrying the trace id and the undici span id', () => {
    expect(result.received).to.have.length(3);
    servers.forEach((server, i) => {
      const undici = result.spans.find((s) => s.parentSpanId === server.spanId && s.scope === '@opentelemetry/instrumentation-undici');
      expect(result.received[i]).to.equal(`00-${server.traceId}-${undici?.spanId}-01`);
    });
  });

  it('wraps non-HTTP client calls in CLIENT spans under the server span and injects their context', () => {
    servers.forEach((server, i) => {
      const rpc = result.spans.filter((s) => s.parentSpanId === server.spanId && s.scope === '@portico/edge');
      expect(rpc.map((s) => [s.name, s.kind, s.status, s.attributes['rpc.system']])).to.deep.equal([
        ['portico.test.Kitchen/GetTicket', CLIENT, 0, 'grpc'],
        ['portico.test.Kitchen/Fail', CLIENT, 2, 'grpc'],
      ]);
      expect(result.injected[i]).to.deep.equal({ traceparent: `00-${server.traceId}-${rpc[0]?.spanId}-01` });
    });
  });

  it('continues the trace of a caller that sent a traceparent', () => {
    expect(servers[1]).to.include({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331' });
  });

  it('puts the trace id on the access-log line, the unsampled caller’s too', () => {
    const slow = result.spans.find((s) => s.kind === SERVER && s.name === 'GET /slow');
    expect(result.accessLog.map((l) => l.traceId)).to.deep.equal([...servers.map((s) => s.traceId), '1af7651916cd43dd8448eb211c80319c', slow?.traceId]);
  });

  it('records nothing for a request whose caller did not sample its trace, and passes the trace on unsampled', () => {
    expect(result.spans.filter((s) => s.traceId === '1af7651916cd43dd8448eb211c80319c')).to.deep.equal([]);
    expect(result.received[2]).to.match(/^00-1af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
  });

  it('ends the server span of a request whose client went away, marked as aborted', () => {
    const slow = result.spans.filter((s) => s.kind === SERVER && s.name === 'GET /slow');
    expect(slow.map((s) => [s.attributes['portico.client_aborted'], s.attributes['http.route']])).to.deep.equal([[true, '/slow']]);
  });
});
