/**
 * A closed-loop HTTP load client as its own long-lived process (pinned like wrk, warm across rounds): each operation
 * is one or more GETs made one after another on keep-alive undici connections, `connections` operations in flight,
 * bounded by a count and a duration. The suite sends `POST /run {spec}` on the control port and gets the figures back.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';

/** One GET of an operation. */
interface Step {
  url: string;
  headers?: Record<string, string>;
}

/** What to run: `steps` form one operation, timed from its first request to its last answer. */
interface RunSpec {
  steps: Step[];
  connections: number;
  /** Stop starting operations after this many (default unbounded, then `durationS` must be set). */
  requests?: number;
  /** Stop starting operations after this long (default 60 s, a hard bound either way). */
  durationS?: number;
}

// One dispatcher for the process: keep-alive sockets survive across runs, as wrk's do within one.
const agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 5_000, bodyTimeout: 5_000 });
const MAX_DURATION_S = 120;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// One operation: every step in order; any non-200 answer or socket error makes the operation an error.
async function operation(steps: Step[]): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    try {
      const res = await agent.request({ origin: new URL(step.url).origin, path: step.url.slice(new URL(step.url).origin.length), method: 'GET', headers: step.headers });
      await res.body.dump({ limit: 1 << 20 });
      if (res.statusCode !== 200) ok = false;
    } catch {
      ok = false;
    }
  }
  return ok;
}

async function run(spec: RunSpec): Promise<Record<string, number>> {
  const maxOps = spec.requests ?? Number.POSITIVE_INFINITY;
  const durationMs = Math.min(spec.durationS ?? 60, MAX_DURATION_S) * 1000;
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < maxOps && performance.now() - t0 < durationMs) {
      started += 1;
      const begin = performance.now();
      if (!(await operation(spec.steps))) errors += 1;
      latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.connections) }, worker));
  const elapsedMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    elapsedMs,
    reqPerSec: (latencies.length * 1000) / elapsedMs,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
  };
}

const control = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== '/run') {
      res.writeHead(404).end();
      return;
    }
    run(JSON.parse(Buffer.concat(chunks).toString()) as RunSpec).then(
      (result) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result)),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
});
control.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: (control.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
