/**
 * Overload from outside the test process: runLoad in a child process (runLoadInChild), optionally pinned to one CPU,
 * so the test's own event loop stays free to measure other services. Every connection is opened before the run
 * (LoadOptions.openFirst says why); returns the counts per status.
 */
import { percentile, runLoadInChild } from './load';

/** What to fire. */
export interface OverloadOptions {
  url: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
  /** Pins the generator to this CPU (taskset -c). */
  cpu?: number;
  /** A request without its answer this long counts as a time-out (default 5 s). */
  timeoutMs?: number;
}

/** The generator's totals for the run. */
export interface OverloadResult {
  /** Requests that completed, failed or timed out during the run (the opening GET /livez per connection excluded). */
  requests: number;
  /** Answers per status code: `{ '200': 120, '429': 40211 }`. */
  statuses: Record<string, number>;
  /** Requests that failed without an answer, time-outs excluded (resets, refused connections). */
  errors: number;
  /** Requests without an answer within timeoutMs. */
  timeouts: number;
  p99Ms: number;
  /** How long opening every connection took, before the run. */
  connectMs: number;
}

/** A generator run: `firing` resolves once every connection is open and the run has begun, `result` with its totals. */
export interface OverloadRun {
  firing: Promise<void>;
  result: Promise<OverloadResult>;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Starts the generator for `durationS`; `result` rejects if it fails or runs 30 s past its duration. */
export function overload(options: OverloadOptions): OverloadRun {
  const url = new URL(options.url);
  let connectMs = 0;
  let fired!: () => void;
  const firing = new Promise<void>((resolve) => (fired = resolve));
  const result = runLoadInChild(
    {
      origin: url.origin,
      connections: options.connections,
      durationMs: options.durationS * 1000,
      maxRequests: Number.MAX_SAFE_INTEGER,
      timeoutMs: options.timeoutMs ?? 5000,
      openFirstPath: '/livez',
      requests: [{ path: url.pathname + url.search, headers: options.headers ?? {} }],
    },
    {
      cpu: options.cpu,
      onOpen: (ms) => {
        connectMs = ms;
        fired();
      },
    },
  ).then((samples) => {
    const statuses: Record<string, number> = {};
    let errors = 0;
    let timeouts = 0;
    for (const s of samples) {
      if (s.status !== undefined) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
      else if (TIMEOUT_CODES.has(s.error ?? '')) timeouts++;
      else errors++;
    }
    const p99Ms = Math.round(percentile(samples.map((s) => s.latencyMs), 99));
    return { requests: samples.length, statuses, errors, timeouts, p99Ms, connectMs };
  });
  // A generator that dies before firing must not leave the caller waiting on `firing`.
  return { firing: Promise.race([firing, result.then(() => undefined)]), result };
}
