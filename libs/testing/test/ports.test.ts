/** freePort hands out a loopback port nothing is listening on. */
import { createServer } from 'node:net';
import { expect } from 'chai';
import { freePort } from '../src/ports';

describe('freePort', () => {
  it('returns a port in the ephemeral range that a server can then bind on 127.0.0.1', async () => {
    const port = await freePort();
    expect(port).to.be.within(1024, 65535);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
