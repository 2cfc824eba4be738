/**
 * One memory-reducing collection once a service listens. Loading modules, validating config and compiling the routing
 * map leave V8's young generation grown to its 16 MiB semi-spaces (~29 MiB committed) and the old generation holding
 * promoted garbage. Nothing shrinks them until V8's memory reducer judges the process idle, which on Node 20 took 17 s
 * or more (bench/bff-startup.ts); a BFF idled at ~106 MiB RSS meanwhile, ~80 MiB after this collection.
 */
import type * as Inspector from 'node:inspector';

/**
 * Asks V8 for a low-memory collection (compacting full GCs, then the young generation shrunk back to 1 MiB) through an
 * in-process inspector session, which opens no port: Node 20 offers nothing else short of --expose-gc, and a plain
 * gc() leaves the young generation committed. Blocks the event loop for ~100–130 ms of CPU, once. `inFlight` is
 * start-up work still running (a BFF's first JWKS download): the collection waits for it to settle, so the pause never
 * holds up its reply and the key load's time-out; then `delayMs` more (1 s by default), so the first readiness probes
 * and requests after launch are answered before the pause rather than behind it. Resolves without collecting when
 * Node was built without the inspector.
 */
export async function releaseStartupMemory(inFlight?: Promise<unknown>, delayMs = 1000): Promise<void> {
  await inFlight?.catch(() => undefined);
  if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs));
  let session: Inspector.Session;
  try {
    // Only entry points (main.ts, runService) call this: tests and embedders never load the inspector.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const inspector = require('node:inspector') as typeof Inspector;
    session = new inspector.Session();
    session.connect();
  } catch {
    return;
  }
  await new Promise<void>((resolve) => {
    session.post('HeapProfiler.collectGarbage', () => {
      // Disconnecting from inside the reply's callback stops Node 20's event loop: leave the dispatch first.
      setImmediate(() => {
        session.disconnect();
        resolve();
      });
    });
  });
}
