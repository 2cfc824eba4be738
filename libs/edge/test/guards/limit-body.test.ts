import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EdgeError, problemMiddleware } from '../../src/errors';
import { limitBody } from '../../src/guards';
import type { EdgeState } from '../../src/state';
import { rawRequest } from './raw-http';

function sink(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(chunk);
      callback();
    },
  });
}

describe('limitBody', () => {
  it('passes a body up to the limit through unchanged', async () => {
    const out: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from('abcd'), Buffer.from('efgh')]), limitBody(8), sink(out));
    expect(Buffer.concat(out).toString()).to.equal('abcdefgh');
  });

  it('fails with PAYLOAD_TOO_LARGE past the limit and never forwards the crossing chunk', async () => {
    const out: Buffer[] = [];
    const failure = await pipeline(Readable.from([Buffer.from('abcd'), Buffer.from('efgh'), Buffer.from('ijkl')]), limitBody(6), sink(out)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).to.be.instanceOf(EdgeError);
    expect((failure as EdgeError).code).to.equal('PAYLOAD_TOO_LARGE');
    expect((failure as EdgeError).detail).to.equal('the request body exceeds the limit of 6 bytes');
    expect(Buffer.concat(out).toString()).to.equal('abcd');
  });

  describe('on a chunked request through a real server', () => {
    let server: Server;
    let port: number;
    let received = 0;
    before(async () => {
      const app = new Koa<EdgeState>();
      app.use(problemMiddleware());
      app.use(async (ctx) => {
        const out: Buffer[] = [];
        await pipeline(ctx.req, limitBody(16), sink(out));
        received = Buffer.concat(out).length;
        ctx.body = { received };
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      port = (server.address() as AddressInfo).port;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it('answers 413 problem+json for a chunked body over the limit', async () => {
      const chunks = ['a'.repeat(10), 'b'.repeat(10)].map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('');
      const res = await rawRequest(port, `POST / HTTP/1.1\r\nHost: portico.test\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
      expect(res.status).to.equal(413);
      expect(res.headers['content-type']).to.equal('application/problem+json');
      expect(JSON.parse(res.body)).to.include({ type: 'urn:portico:problem:payload-too-large', status: 413 });
      expect(res.headers.connection).to.equal('close');
    });

    it('accepts a chunked body within the limit', async () => {
      const res = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: portico.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
      expect(res.status).to.equal(200);
      expect(JSON.parse(res.body)).to.deep.equal({ received: 5 });
    });
  });
});
