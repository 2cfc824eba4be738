/** Runs wrk pinned to a core (BENCHMARKING.md: load generator on cpu0) and parses req/s, p50, p99, requests and errors. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One wrk run's shape. */
export interface WrkOptions {
  url: string;
  connections: number;
  durationS: number;
  /** The core wrk is pinned to (default 0). */
  cpu?: number;
  /** Request headers sent with every request (`-H 'name: value'`), e.g. a Bearer token. */
  headers?: Record<string, string>;
  /** A wrk Lua script (`-s`), e.g. one that varies a header per request. */
  script?: string;
}

/** What one wrk run measured. */
export interface WrkResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors (connect, read, write, timeout). */
  errors: number;
}

/** The exact command line for a run, as reports quote it. */
export function wrkArgs(options: WrkOptions): string[] {
  const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const script = options.script ? ['-s', options.script] : [];
  return ['-c', String(options.cpu ?? 0), 'wrk', '-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--latency', '--timeout', '2s', ...headers, ...script, options.url];
}

function millis(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return n;
}

/** Parses wrk's `--latency` report. */
export function parseWrk(output: string): WrkResult {
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    if (!match?.[1] || !match[2]) throw new Error(`wrk output has no ${p}% latency:\n${output}`);
    return millis(match[1], match[2]);
  };
  const requests = /(\d+) requests in/.exec(output)?.[1];
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  if (!requests || !rate) throw new Error(`unexpected wrk output:\n${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { reqPerSec: Number(rate), p50Ms: percentile('50'), p99Ms: percentile('99'), requests: Number(requests), errors: non2xx + socketErrors };
}

/** Runs `taskset -c <cpu> wrk -t1 -c<n> -d<s>s --latency --timeout 2s <url>`, bounded to its duration plus 15 s. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const { stdout } = await run('taskset', wrkArgs(options), { timeout: (options.durationS + 15) * 1000, killSignal: 'SIGKILL' });
  return parseWrk(stdout);
}
