/**
 * Overload from outside the test process: a closed-loop generator (overload-child.ts) in a child process, optionally
 * pinned to one CPU with taskset, so the test's own event loop stays free to measure other services. Every connection
 * is open before the run starts; returns the counts per status.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

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

/** Starts the generator for `durationS`; `result` rejects if it fails or runs 30 s past its duration. */
export function overload(options: OverloadOptions): OverloadRun {
  const child = join(__dirname, 'overload-child.ts');
  const args = ['--require', 'tsx/cjs', child, JSON.stringify(options)];
  const [command, argv] = options.cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(options.cpu), process.execPath, ...args]];
  let fired: () => void;
  const firing = new Promise<void>((resolve) => (fired = resolve));
  const result = new Promise<OverloadResult>((resolve, reject) => {
    const proc = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.startsWith('firing\n')) fired();
    });
    proc.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), (options.durationS + 30) * 1000);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`overload generator exited with ${code}: ${err.slice(-500)}`));
      try {
        resolve(JSON.parse(out.slice('firing\n'.length)) as OverloadResult);
      } catch (e) {
        reject(new Error(`overload generator printed no JSON result: ${(e as Error).message}; ${err.slice(-500)}`));
      }
    });
  });
  // A generator that dies before firing must not leave the caller waiting on `firing`.
  return { firing: Promise.race([firing, result.then(() => undefined)]), result };
}
