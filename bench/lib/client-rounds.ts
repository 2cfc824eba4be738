/**
 * Interleaved rounds driven by bench/servers/load-client.ts instead of wrk, for scenarios wrk cannot express: an
 * operation of several calls made one after another, or a bounded request count (routes with a rate limit). Samples
 * have the shape runRounds gives, so medianRatio and widestSpreadPercent apply unchanged.
 */
import { request } from 'undici';
import { coreTimes, cpuMicros, maxStealPercent, memoryMiB } from './cpu';
import { nodeTs, startProcess, type BenchProcess } from './processes';
import { median, type Sample, type ScenarioResult } from './rounds';

/** One operation's calls, in order, and how many operations to keep in flight and for how long. */
export interface ClientSpec {
  steps: Array<{ url: string; headers?: Record<string, string> }>;
  connections: number;
  /** At most this many operations. */
  requests?: number;
  /** At most this long, seconds. */
  durationS?: number;
}

/** What the client measured for one spec. */
export interface ClientResult {
  requests: number;
  errors: number;
  elapsedMs: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A running load client. */
export interface LoadClient {
  process: BenchProcess;
  run(spec: ClientSpec): Promise<ClientResult>;
  stop(): Promise<void>;
}

/** Starts bench/servers/load-client.ts pinned to `cpu` (the load generator's core). */
export async function startLoadClient(cpu = 0): Promise<LoadClient> {
  const process = await startProcess({ name: 'load client', cpu, command: nodeTs('bench/servers/load-client.ts') });
  const url = `http://127.0.0.1:${Number(process.info.port)}/run`;
  return {
    process,
    async run(spec) {
      const bound = Math.min(spec.durationS ?? 60, 120) + 30;
      const res = await request(url, { method: 'POST', body: JSON.stringify(spec), headersTimeout: bound * 1000, bodyTimeout: bound * 1000 });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`load client: ${res.statusCode} ${text}`);
      return JSON.parse(text) as ClientResult;
    },
    stop: () => process.stop(),
  };
}

/**
 * A scenario the client loads; `pid` is the system under test. Round 0 is the warm-up, 1… the measured rounds, so
 * `spec` may differ per round (shorter warm-up, another principal) and `before` may wait (a rate limit's room).
 */
export interface ClientScenario {
  name: string;
  connections: number;
  pid?: number;
  spec(round: number): ClientSpec;
  /** Awaited before each run, warm-up included, and before `spec` is read. */
  before?(round: number): Promise<void>;
  /** Called after each run with what it sent. */
  after?(round: number, result: ClientResult): void;
}

/** How the client rounds run. */
export interface ClientRoundOptions {
  rounds: number;
  /** Run every scenario's round-0 spec once, unrecorded, before the measured rounds. */
  warmup?: boolean;
  /** Repeat a run that lost > 5% to steal (default true; false where each request counts against a limit). */
  repeatOnSteal?: boolean;
  log?: (line: string) => void;
}

async function measure(client: LoadClient, scenario: ClientScenario, round: number, repeatOnSteal: boolean): Promise<Sample> {
  let repeatedForSteal = false;
  for (let attempt = 0; ; attempt += 1) {
    await scenario.before?.(round);
    const cores = coreTimes();
    const cpuBefore = scenario.pid ? cpuMicros(scenario.pid) : 0;
    const result = await client.run(scenario.spec(round));
    const cpuAfter = scenario.pid ? cpuMicros(scenario.pid) : 0;
    scenario.after?.(round, result);
    const stealPercent = maxStealPercent(cores, coreTimes());
    if (repeatOnSteal && stealPercent > 5 && attempt === 0) {
      repeatedForSteal = true;
      continue;
    }
    const cpuUsPerReq = scenario.pid && result.requests > 0 ? (cpuAfter - cpuBefore) / result.requests : undefined;
    return { reqPerSec: result.reqPerSec, p50Ms: result.p50Ms, p99Ms: result.p99Ms, requests: result.requests, errors: result.errors, round, cpuUsPerReq, stealPercent, repeatedForSteal };
  }
}

/** Warms each scenario up, then runs `rounds` interleaved rounds with the order rotated by one each round. */
export async function runClientRounds(client: LoadClient, scenarios: ClientScenario[], options: ClientRoundOptions): Promise<ScenarioResult[]> {
  const log = options.log ?? (() => undefined);
  const idle = new Map(scenarios.map((s) => [s.name, s.pid ? memoryMiB(s.pid).rss : 0]));
  for (const scenario of options.warmup ? scenarios : []) {
    log(`warm-up ${scenario.name}`);
    await scenario.before?.(0);
    scenario.after?.(0, await client.run(scenario.spec(0)));
  }
  const samples = new Map<string, Sample[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < options.rounds; round += 1) {
    const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length]!);
    for (const scenario of order) {
      const sample = await measure(client, scenario, round + 1, options.repeatOnSteal ?? true);
      samples.get(scenario.name)!.push(sample);
      log(
        `round ${round + 1} ${scenario.name}: ${sample.requests} ops, ${sample.reqPerSec.toFixed(0)} ops/s p50 ${sample.p50Ms.toFixed(2)}ms p99 ${sample.p99Ms.toFixed(2)}ms` +
          (sample.cpuUsPerReq !== undefined ? ` ${sample.cpuUsPerReq.toFixed(1)} µs/req` : '') +
          ` errors ${sample.errors} steal ${sample.stealPercent.toFixed(1)}%`,
      );
    }
  }
  return scenarios.map((scenario) => {
    const own = samples.get(scenario.name) ?? [];
    const cpu = own.map((s) => s.cpuUsPerReq).filter((v): v is number => v !== undefined);
    const memory = scenario.pid ? memoryMiB(scenario.pid) : undefined;
    return {
      name: scenario.name,
      connections: scenario.connections,
      samples: own,
      median: { reqPerSec: median(own.map((s) => s.reqPerSec)), p50Ms: median(own.map((s) => s.p50Ms)), p99Ms: median(own.map((s) => s.p99Ms)), cpuUsPerReq: cpu.length ? median(cpu) : undefined },
      memory: memory ? { idleMiB: idle.get(scenario.name) ?? 0, afterMiB: memory.rss, peakMiB: memory.hwm } : undefined,
      errors: own.reduce((sum, s) => sum + s.errors, 0),
    };
  });
}
