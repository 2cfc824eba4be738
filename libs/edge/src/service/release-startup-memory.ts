/**
 * One memory-reducing collection before a service takes traffic. Loading modules, validating config and compiling the
 * routing map leave V8's young generation grown to its 16 MiB semi-spaces (~29 MiB committed) and the old generation
 * holding promoted garbage. Nothing shrinks them until V8's memory reducer judges the process idle, which on Node 20
 * took 17 s or more (bench/bff-startup.ts); a BFF idled at ~106 MiB RSS meanwhile, ~80 MiB after this collection.
 *
 * The collection stops the event loop for ~100 ms of CPU. It runs while readiness still fails, so load balancers and
 * Kubernetes send no traffic into the pause: a probe that arrives during it waits, then reads "not ready" or "ready".
 * Collecting later, at the first quiet moment, let the pause land on whatever traffic a lightly loaded replica had.
 */
import type * as Inspector from 'node:inspector';
import type { Readiness } from '../health';
import type { EdgeLogger } from '../state';

/** What releaseStartupMemory holds and waits for. */
export interface StartupMemoryOptions {
  /** The service's readiness: the `startup` check fails until the collection has run. */
  readiness: Readiness;
  /** Gets one line with the pause and the heap before and after. */
  logger?: EdgeLogger;
  /** Start-up work still running (a BFF's first JWKS download): collected after it settles, so the pause never holds up its reply. */
  after?: Promise<unknown>;
}

/** The readiness check that holds traffic off until the start-up collection has run. */
export const STARTUP_CHECK = 'startup';

/**
 * Registers the `startup` readiness check (failing) at once, so call it before `listen()`; then, once `after` has
 * settled and listen's turn is over, asks V8 for a low-memory collection (compacting full GCs, then the young
 * generation shrunk back to 1 MiB) through an in-process inspector session, which opens no port: Node 20 offers nothing
 * else short of --expose-gc, and a plain gc() leaves the young generation committed. The check passes afterwards, and
 * also when Node was built without the inspector (nothing is collected then).
 */
export async function releaseStartupMemory(options: StartupMemoryOptions): Promise<void> {
  let released = false;
  options.readiness.register(STARTUP_CHECK, () => released);
  try {
    await options.after?.catch(() => undefined);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const heapBefore = process.memoryUsage().heapTotal;
    const started = performance.now();
    if (await collectForLowMemory()) {
      options.logger?.info(
        { pauseMs: Math.round(performance.now() - started), heapTotalMiB: { before: mib(heapBefore), after: mib(process.memoryUsage().heapTotal) } },
        'start-up memory released',
      );
    }
  } finally {
    released = true;
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

// True once the collection ran; false when the inspector is not available.
async function collectForLowMemory(): Promise<boolean> {
  let session: Inspector.Session;
  try {
    // Only entry points (main.ts, runService) call this: tests and embedders never load the inspector.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const inspector = require('node:inspector') as typeof Inspector;
    session = new inspector.Session();
    session.connect();
  } catch {
    return false;
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
  return true;
}
