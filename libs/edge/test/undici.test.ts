import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { Client, dispatcherRequest, Pool } from '../src/undici';

describe('undici without its index', () => {
  let server: Server;
  let origin: string;
  before(async () => {
    server = createServer((req, res) => res.end(`${req.method} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('loads the very classes undici exports (an upgrade that moves lib/ files fails here)', () => {
    expect(Pool).to.equal(undici.Pool);
    expect(Client).to.equal(undici.Client);
  });

  it('requests through a Pool with the request API', async () => {
    const pool = new Pool(origin);
    try {
      const res = await dispatcherRequest(pool, { origin, path: '/keys?x=1', method: 'GET' });
      expect(res.statusCode).to.equal(200);
      expect(await res.body.text()).to.equal('GET /keys?x=1');
    } finally {
      await pool.close();
    }
  });
});
