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
 * holds up its reply and the key load's time-out. Then it waits for a quiet second (event-loop utilisation under 5%,
 * checked every `delayMs`, 1 s by default) so the pause never lands on requests: a process busy from its first
 * second on (a replica started under load) skips the collection after a minute, as it has no idle memory to return.
 * Resolves without collecting when Node was built without the inspector.
 */
export async function releaseStartupMemory(inFlight?: Promise<unknown>, delayMs = 1000): Promise<void> {
  await inFlight?.catch(() => undefined);
  if (delayMs > 0 && !(await quietSecond(delayMs))) return;
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

const QUIET_UTILISATION = 0.05;
const GIVE_UP_MS = 60_000;

// True once the event loop was busy less than 5% of a `windowMs` window; false after a minute without one.
async function quietSecond(windowMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + GIVE_UP_MS;
  let last = performance.eventLoopUtilization();
  while (Date.now() < giveUpAt) {
    await new Promise<void>((resolve) => setTimeout(resolve, windowMs).unref());
    const now = performance.eventLoopUtilization();
    const window = performance.eventLoopUtilization(now, last);
    last = now;
    if (window.utilization < QUIET_UTILISATION) return true;
  }
  return false;
}
