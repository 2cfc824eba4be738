import { expect } from 'chai';
import { credentials, logVerbosity, Metadata, setLogVerbosity, status } from '@grpc/grpc-js';
import { serveGrpc, type GrpcServing, type UnaryHandler } from '../../../src/service/grpc';
import { createLogger } from '../../../src/logging';
import { createMetrics } from '../../../src/metrics';
import { sample } from '../../metrics/prometheus-text';
import { ECHO, ECHO_NAME, EchoClient, call, logSink } from './echo-service';

describe('serveGrpc (a service’s gRPC API with the edge around each unary method)', () => {
  const sink = logSink();
  const logger = createLogger({ serviceName: 'echo', level: 'info' }, sink.stream);
  const metrics = createMetrics({ serviceName: 'echo', defaultMetrics: false });
  let fail: UnaryHandler = (_call, callback) => callback(null, {});
  let serving: GrpcServing;
  let client: EchoClient;

  before(async () => {
    serving = await serveGrpc({
      host: '127.0.0.1',
      port: 0,
      logger,
      metrics,
      services: [
        {
          name: ECHO_NAME,
          definition: ECHO,
          handlers: { Say: (c, cb) => cb(null, { said: (c.request as { text: string }).text }), Fail: (c, cb) => fail(c, cb) },
        },
      ],
    });
    client = new EchoClient(`127.0.0.1:${serving.port}`, credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await serving?.close(1000);
  });
  beforeEach(() => (sink.lines.length = 0));

  const withId = (id: string) => {
    const metadata = new Metadata();
    metadata.set('x-request-id', id);
    return metadata;
  };
  const rpcLines = () => sink.lines.filter((l) => l.msg === 'rpc');

  it('answers the handler’s message and logs one line with the caller’s request id, method and code', async () => {
    const { err, value } = await call(client, 'Say', { text: 'hi' }, withId('req-42'));
    expect(err).to.equal(null);
    expect(value).to.deep.equal({ said: 'hi' });
    const [line, ...more] = rpcLines();
    expect(more).to.have.length(0);
    expect(line).to.include({ level: 'info', requestId: 'req-42', rpc: 'test.v1.Echo/Say', grpcCode: 'OK', traceId: null, service: 'echo' });
    expect(line!.durationMs).to.be.a('number').and.at.least(0);
    expect(line!.peer).to.match(/^127\.0\.0\.1:\d+$/);
  });

  it('makes a request id when the caller sent none or one that could inject into logs', async () => {
    await call(client, 'Say', { text: 'a' }, new Metadata());
    await call(client, 'Say', { text: 'b' }, withId(`bad id ${'x'.repeat(200)}`));
    const ids = rpcLines().map((l) => l.requestId as string);
    expect(ids).to.have.length(2);
    for (const id of ids) expect(id).to.match(/^[0-9a-f-]{36}$/);
  });

  it('sends the request id back in the response headers, the caller’s or the one it made', async () => {
    const kept = await call(client, 'Say', { text: 'hi' }, withId('req-echo'));
    expect(kept.headers?.get('x-request-id')).to.deep.equal(['req-echo']);
    const made = await call(client, 'Say', { text: 'hi' }, new Metadata());
    const [, line] = rpcLines();
    expect(made.headers?.get('x-request-id')).to.deep.equal([line!.requestId]);
  });

  it('adds the request id to headers and trailers the handler sends itself', async () => {
    fail = (c, cb) => {
      const headers = new Metadata();
      headers.set('x-ticket-version', '3');
      c.sendMetadata(headers);
      const trailer = new Metadata();
      trailer.set('x-retry-hint', 'later');
      cb({ code: status.FAILED_PRECONDITION, details: 'ticket already accepted' }, null, trailer);
    };
    const { err, headers } = await call(client, 'Fail', {}, withId('req-own'));
    expect(headers?.get('x-ticket-version')).to.deep.equal(['3']);
    expect(headers?.get('x-request-id')).to.deep.equal(['req-own']);
    expect(err?.metadata.get('x-retry-hint')).to.deep.equal(['later']);
    expect(err?.metadata.get('x-request-id')).to.deep.equal(['req-own']);
  });

  it('passes a status the handler chose to the caller, details included, and logs it at info', async () => {
    fail = (_c, cb) => cb({ code: status.NOT_FOUND, details: 'no ticket for order o-9' });
    const { err } = await call(client, 'Fail', {}, withId('req-nf'));
    expect(err?.code).to.equal(status.NOT_FOUND);
    expect(err?.details).to.equal('no ticket for order o-9');
    // A failure carries the request id in its trailers, where a client reads it from the error.
    expect(err?.metadata.get('x-request-id')).to.deep.equal(['req-nf']);
    expect(rpcLines()[0]).to.include({ level: 'info', grpcCode: 'NOT_FOUND' });
  });

  it('answers INTERNAL without the message of an error that is not a gRPC status, and logs the error once', async () => {
    fail = (_c, cb) => cb(new Error('connection to db-7.internal:5432 refused'));
    const { err } = await call(client, 'Fail', {}, withId('req-err'));
    expect(err?.code).to.equal(status.INTERNAL);
    expect(err?.details).to.equal('internal error');
    expect(err?.metadata.get('x-request-id')).to.deep.equal(['req-err']);
    const errors = sink.lines.filter((l) => l.msg === 'unhandled error');
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include({ requestId: 'req-err', rpc: 'test.v1.Echo/Fail' });
    expect((errors[0]!.err as { message: string }).message).to.contain('db-7.internal');
    expect(rpcLines()[0]).to.include({ level: 'warn', grpcCode: 'INTERNAL' });
  });

  it('answers INTERNAL when a handler throws, and keeps serving', async () => {
    fail = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'orderId')");
    };
    const { err } = await call(client, 'Fail', {}, withId('req-throw'));
    expect(err?.code).to.equal(status.INTERNAL);
    expect(err?.details).to.equal('internal error');
    expect((await call(client, 'Say', { text: 'still here' }, new Metadata())).value).to.deep.equal({ said: 'still here' });
  });

  it('answers once when a handler calls back twice', async () => {
    fail = (_c, cb) => {
      cb(null, { first: true });
      cb(null, { second: true });
    };
    expect((await call(client, 'Fail', {}, withId('req-twice'))).value).to.deep.equal({ first: true });
    expect(rpcLines()).to.have.length(1);
  });

  it('counts calls by service, method and code, and times them, on the service’s registry', async () => {
    fail = (_c, cb) => cb({ code: status.NOT_FOUND, details: 'gone' });
    const before = await metrics.registry.getSingleMetricAsString('grpc_server_handled_total');
    const countOf = (text: string, method: string, code: string) =>
      sample(text, 'grpc_server_handled_total', { grpc_service: ECHO_NAME, grpc_method: method, grpc_code: code, service: 'echo' }) ?? 0;
    await call(client, 'Say', { text: 'x' }, new Metadata());
    await call(client, 'Fail', {}, new Metadata());
    await call(client, 'Fail', {}, new Metadata());
    const text = (await metrics.scrape()).body;
    expect(countOf(text, 'Say', 'OK') - countOf(before, 'Say', 'OK')).to.equal(1);
    expect(countOf(text, 'Fail', 'NOT_FOUND') - countOf(before, 'Fail', 'NOT_FOUND')).to.equal(2);
    expect(sample(text, 'grpc_server_handling_seconds_count', { grpc_service: ECHO_NAME, grpc_method: 'Say', service: 'echo' })).to.be.at.least(1);
  });

  it('refuses to start with a method left without a handler, a handler for no method, or a streaming method', async () => {
    const base = { host: '127.0.0.1', port: 0, logger, metrics };
    const say: UnaryHandler = (_c, cb) => cb(null, {});
    const problem = (services: Parameters<typeof serveGrpc>[0]['services']) =>
      serveGrpc({ ...base, services }).then(
        () => 'started',
        (err: Error) => err.message,
      );
    expect(await problem([{ name: ECHO_NAME, definition: ECHO, handlers: { Say: say } }])).to.equal('gRPC service test.v1.Echo: no handler for Fail');
    expect(await problem([{ name: ECHO_NAME, definition: ECHO, handlers: { Say: say, Fail: say, Shout: say } }])).to.equal(
      'gRPC service test.v1.Echo: Shout is not a method of the service',
    );
    const streaming = { ...ECHO, Say: { ...ECHO.Say!, responseStream: true } };
    expect(await problem([{ name: ECHO_NAME, definition: streaming, handlers: { Say: say, Fail: say } }])).to.equal(
      'gRPC service test.v1.Echo: Say streams; only unary methods are served',
    );
  });

  it('rejects with the address when the port is taken', async () => {
    // grpc-js also reports the failed bind on stderr; the rejection is what a service sees.
    setLogVerbosity(logVerbosity.NONE);
    const err = await serveGrpc({ host: '127.0.0.1', port: serving.port, logger, metrics, services: [] })
      .then(
        () => undefined,
        (e: Error) => e,
      )
      .finally(() => setLogVerbosity(logVerbosity.ERROR));
    expect(err?.message).to.match(new RegExp(`^gRPC server could not bind 127\\.0\\.0\\.1:${serving.port}: `));
  });

  it('lets a call in flight finish on close, then reports itself unbound and takes no new calls', async () => {
    const other = await serveGrpc({
      host: '127.0.0.1',
      port: 0,
      logger,
      metrics,
      services: [
        { name: ECHO_NAME, definition: ECHO, handlers: { Say: (_c, cb) => setTimeout(() => cb(null, { said: 'late' }), 300), Fail: (_c, cb) => cb(null, {}) } },
      ],
    });
    const late = new EchoClient(`127.0.0.1:${other.port}`, credentials.createInsecure());
    try {
      const inFlight = call(late, 'Say', {}, new Metadata());
      await new Promise((r) => setTimeout(r, 100));
      expect(other.bound()).to.equal(true);
      const closed = other.close(5_000);
      expect(other.bound()).to.equal(false);
      expect((await inFlight).value).to.deep.equal({ said: 'late' });
      await closed;
      const after = await call(late, 'Fail', {}, new Metadata());
      expect(after.err?.code).to.equal(status.UNAVAILABLE);
    } finally {
      late.close();
    }
  });
});
