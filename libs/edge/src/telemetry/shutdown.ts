/**
 * The process-wide telemetry handle: sdk.ts registers how to flush and stop, lifecycle calls shutdownTelemetry().
 * Kept apart from sdk.ts so the package entry can export it without loading the OpenTelemetry SDK.
 */

// On globalThis, not in module scope: the instrument entry and the service may load this file as two module copies
// (e.g. `--import` through the ESM loader, or dist and src side by side).
const HANDLE = Symbol.for('portico.telemetry.shutdown');
type Holder = { [HANDLE]?: () => Promise<void> };

/** Records how to flush and stop the running SDK; called by startTelemetry. */
export function registerTelemetryShutdown(shutdown: () => Promise<void>): void {
  (globalThis as Holder)[HANDLE] = shutdown;
}

/** True while an SDK started by startTelemetry is running. */
export function isTelemetryStarted(): boolean {
  return (globalThis as Holder)[HANDLE] !== undefined;
}

/**
 * Flushes pending spans and stops the SDK, waiting at most `timeoutMs`; a no-op when telemetry never started.
 * Never rejects: a collector that is down must not block or fail a shutdown (docs/style.md: telemetry never fails requests).
 */
export async function shutdownTelemetry(timeoutMs = 5000): Promise<void> {
  const holder = globalThis as Holder;
  const shutdown = holder[HANDLE];
  if (!shutdown) return;
  delete holder[HANDLE];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([shutdown().catch((err: unknown) => console.warn(`telemetry: shutdown failed: ${String(err)}`)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
