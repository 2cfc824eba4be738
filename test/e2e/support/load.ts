/**
 * Closed-loop load for fault-injection tests and the soak: a fixed number of keep-alive connections, each sending its
 * next request as soon as the last one answered, bounded by a duration AND a request count. Every request's outcome
 * is kept (status or error code, latency, start time), so tests assert on counts rather than on "did not crash".
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Pool } from 'undici';

/** One request to send; `tag` groups samples in summaries (e.g. the route). */
export interface LoadRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  tag?: string;
}

/** The outcome of one request. */
export interface Sample {
  tag: string;
  /** performance.now() when the request was started. */
  startedAt: number;
  latencyMs: number;
  /** The HTTP status; undefined when the request failed without an answer. */
  status?: number;
  /** The error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, `UND_ERR_HEADERS_TIMEOUT`, …) when there was no answer. */
  error?: string;
  /** The body, when `keepBody` asked for it. */
  body?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/** How to load one origin. */
export interface LoadOptions {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Concurrent connections (and in-flight requests). */
  connections: number;
  /** Stop starting requests after this long. */
  durationMs: number;
  /** Never start more than this many requests. */
  maxRequests: number;
  /** The i-th request to send. */
  next: (i: number) => LoadRequest;
  /** Keep bodies and headers of these answers (default none). */
  keepBody?: (status: number, tag: string) => boolean;
  /** Per-request limit to headers and between body chunks (default 10 s). */
  timeoutMs?: number;
  /** Paces the run to this many requests a second in total (default: as fast as the connections allow). */
  ratePerSec?: number;
  /** Called with every sample as it completes (e.g. per-minute buckets in the soak). */
  onSample?: (sample: Sample) => void;
  /**
   * Opens every connection before the run, each with one GET of this path (not sampled), and calls `onOpen`; the
   * duration counts from then. Node 20's libuv accepts one connection per event-loop turn, so a burst of new
   * connections at a server already saturated by the first ones waits seconds in the kernel's accept queue: a
   * property of the connection storm, not of how the server answers on the connections it has.
   */
  openFirst?: { path: string; onOpen?: (openedMs: number) => void };
}

/** A load run in progress. */
export interface LoadRun {
  /** Stops starting new requests; in-flight ones still complete. */
  stop(): void;
  /** Every sample, once all in-flight requests have completed. */
  readonly done: Promise<Sample[]>;
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code ?? e.name ?? 'ERROR';
}

/** Starts loading `origin`; see LoadOptions. */
export function startLoad(options: LoadOptions): LoadRun {
  const timeout = options.timeoutMs ?? 10_000;
  const pool = new Pool(options.origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connectTimeout: timeout,
  });
  const samples: Sample[] = [];
  let startAt = performance.now();
  let endAt = startAt + options.durationMs;
  let stopped = false;
  let started = 0;

  const worker = async (): Promise<void> => {
    while (!stopped && started < options.maxRequests && performance.now() < endAt) {
      const i = started++;
      if (options.ratePerSec) {
        const wait = startAt + (i * 1000) / options.ratePerSec - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stopped || performance.now() >= endAt) break;
      }
      const req = options.next(i);
      const tag = req.tag ?? req.path;
      const startedAt = performance.now();
      const sample: Sample = { tag, startedAt, latencyMs: 0 };
      try {
        const res = await pool.request({ method: req.method ?? 'GET', path: req.path, headers: req.headers, body: req.body });
        sample.status = res.statusCode;
        if (options.keepBody?.(res.statusCode, tag)) {
          sample.body = await res.body.text();
          sample.headers = res.headers;
        } else {
          await res.body.dump({ limit: 1 << 24 });
        }
      } catch (err) {
        sample.error = errorCode(err);
        // A refused connection answers in microseconds; pause so a dead origin is not spun on.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      sample.latencyMs = performance.now() - startedAt;
      samples.push(sample);
      options.onSample?.(sample);
    }
  };
  const open = async (path: string): Promise<number> => {
    const openedAt = performance.now();
    // As many requests at once as connections: the pool opens one connection for each.
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        const res = await pool.request({ method: 'GET', path });
        await res.body.dump();
      }),
    );
    if (pool.stats.connected < options.connections) throw new Error(`opened ${pool.stats.connected} of ${options.connections} connections`);
    return performance.now() - openedAt;
  };
  const run = async (): Promise<Sample[]> => {
    if (options.openFirst) {
      options.openFirst.onOpen?.(await open(options.openFirst.path));
      startAt = performance.now();
      endAt = startAt + options.durationMs;
    }
    await Promise.all(Array.from({ length: options.connections }, worker));
    await pool.close();
    return samples;
  };
  const done = run();
  return {
    stop: () => void (stopped = true),
    done,
  };
}

/** Runs a load to completion and returns its samples. */
export function runLoad(options: LoadOptions): Promise<Sample[]> {
  return startLoad(options).done;
}

/** The p-th percentile (0–100) of `values`, nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Counts and latency percentiles of a set of samples. */
export interface LoadSummary {
  count: number;
  /** `{ '200': 812, '503': 4, ECONNREFUSED: 2 }`: statuses and error codes. */
  outcomes: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

/** Summarises samples (optionally only those `where` accepts). */
export function summarize(samples: readonly Sample[], where: (s: Sample) => boolean = () => true): LoadSummary {
  const picked = samples.filter(where);
  const outcomes: Record<string, number> = {};
  for (const s of picked) {
    const key = s.status !== undefined ? String(s.status) : (s.error ?? 'ERROR');
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  const latencies = picked.map((s) => s.latencyMs);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    count: picked.length,
    outcomes,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(Math.max(0, ...latencies)),
  };
}

/** Formats a summary for a test's failure message or log: `812 × 200, 4 × 503; p50 3.1 ms, p99 20.4 ms, max 31.0 ms`. */
export function describeSummary(summary: LoadSummary): string {
  const parts = Object.entries(summary.outcomes).map(([k, n]) => `${n} × ${k}`);
  return `${parts.join(', ') || 'no requests'}; p50 ${summary.p50} ms, p99 ${summary.p99} ms, max ${summary.max} ms`;
}

/** What runLoadInChild runs: runLoad's options, with the requests listed instead of a function. */
export interface ChildLoadJob {
  origin: string;
  connections: number;
  durationMs: number;
  maxRequests: number;
  ratePerSec?: number;
  timeoutMs?: number;
  /** Opens every connection with one GET of this path first (LoadOptions.openFirst). */
  openFirstPath?: string;
  /** Sent in turn, from the first again after the last. */
  requests: LoadRequest[];
}

/** Where and how runLoadInChild runs its child. */
export interface ChildLoadOptions {
  /** Pins the child to this CPU (taskset -c); by default it inherits this process's affinity. */
  cpu?: number;
  /** Called once every connection is open, when the job has `openFirstPath`. */
  onOpen?: (openedMs: number) => void;
}

/**
 * runLoad in a child process (load-child.ts): for load that must not compete with the test's own event loop, and for
 * measurements that must not include this process's garbage-collection pauses.
 */
export async function runLoadInChild(job: ChildLoadJob, options: ChildLoadOptions = {}): Promise<Sample[]> {
  const args = ['--require', 'tsx/cjs', join(__dirname, 'load-child.ts')];
  const [command, argv] = options.cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(options.cpu), process.execPath, ...args]];
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    const opened = /^open (\d+)\n/.exec(out);
    if (opened) {
      options.onOpen?.(Number(opened[1]));
      out = out.slice(opened[0].length);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), job.durationMs + 30_000);
  child.stdin.end(JSON.stringify(job));
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`load child exited with ${code}: ${err.slice(-500)}`);
  return JSON.parse(out) as Sample[];
}
