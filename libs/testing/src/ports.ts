/** Free loopback ports for servers a test starts out of process (redis-server, a restarted mock). In-process servers should listen(0) instead. */
import { createServer } from 'node:net';

/**
 * Resolves a TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it, then it is released.
 * Another process may take it before the caller binds; tests that start a child on it retry start-up on EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('the kernel assigned no port'))));
    });
  });
}
