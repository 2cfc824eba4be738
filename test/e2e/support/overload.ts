/**
 * Overload from outside the test process: autocannon in a child process (optionally pinned to one CPU with taskset),
 * so the test's own event loop stays free to measure other services. Returns autocannon's counts per status.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

/** What to fire. */
export interface OverloadOptions {
  url: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
  /** Pins the generator to this CPU (taskset -c). */
  cpu?: number;
}

/** autocannon's totals for the run. */
export interface OverloadResult {
  requests: number;
  /** Answers per status code: `{ '200': 120, '429': 40211 }`. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  p99Ms: number;
}

/** Runs autocannon for `durationS` and resolves with its totals; rejects if it fails or runs 20 s past its duration. */
export function overload(options: OverloadOptions): Promise<OverloadResult> {
  const cli = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  const args = [cli, '-j', '-c', String(options.connections), '-d', String(options.durationS), '-t', '5'];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}=${v}`);
  args.push(options.url);
  const [command, argv] = options.cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(options.cpu), process.execPath, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.durationS + 20) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err.slice(-500)}`));
      try {
        const r = JSON.parse(out) as {
          requests: { total: number };
          statusCodeStats?: Record<string, { count: number }>;
          errors: number;
          timeouts: number;
          latency: { p99: number };
        };
        const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
        resolve({ requests: r.requests.total, statuses, errors: r.errors, timeouts: r.timeouts, p99Ms: r.latency.p99 });
      } catch (e) {
        reject(new Error(`autocannon printed no JSON result: ${(e as Error).message}; ${err.slice(-500)}`));
      }
    });
  });
}
