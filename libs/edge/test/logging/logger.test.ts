import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging';

function capture(): { stream: Writable; lines: Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    get lines() {
      return chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

describe('createLogger', () => {
  it('writes JSON lines with the service, pid and level name', () => {
    const out = capture();
    createLogger({ serviceName: 'mobile-bff', level: 'info' }, out.stream).info({ route: 'get-order' }, 'hello');
    expect(out.lines).to.have.length(1);
    expect(out.lines[0]).to.include({ service: 'mobile-bff', pid: process.pid, level: 'info', route: 'get-order', msg: 'hello' });
  });

  it('drops lines below the configured level', () => {
    const out = capture();
    const log = createLogger({ serviceName: 's', level: 'warn' }, out.stream);
    log.info({}, 'quiet');
    log.warn({}, 'loud');
    expect(out.lines.map((l) => l.msg)).to.deep.equal(['loud']);
  });

  it('redacts credentials in request, response and bare header objects', () => {
    const out = capture();
    const log = createLogger({ serviceName: 's', level: 'info' }, out.stream);
    const headers = {
      authorization: 'Bearer eyJhbGciOi.secret-token',
      'proxy-authorization': 'Basic c2VjcmV0',
      cookie: 'session=secret-cookie',
      'x-api-key': 'pk_live_secret-key',
      accept: 'application/json',
    };
    log.info({ req: { headers }, res: { headers: { 'set-cookie': 'session=secret-set-cookie' } } }, 'a');
    log.info({ headers }, 'b');
    log.info({ upstream: { headers } }, 'c');
    log.info({ authorization: 'Bearer secret-bare', apiKey: 'secret-api-key' }, 'd');
    const text = out.text();
    expect(text).not.to.match(/secret/);
    expect(text).to.include('application/json');
    expect(out.lines[0]).to.have.nested.property('req.headers.authorization', '[redacted]');
  });

  it('serialises errors with type, message and stack', () => {
    const out = capture();
    createLogger({ serviceName: 's', level: 'info' }, out.stream).error({ err: new TypeError('boom') }, 'failed');
    const err = out.lines[0]?.err as { type: string; message: string; stack: string };
    expect(err.type).to.equal('TypeError');
    expect(err.message).to.equal('boom');
    expect(err.stack).to.match(/at /);
  });
});
