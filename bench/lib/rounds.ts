/**
 * Interleaved rounds (BENCHMARKING.md): every scenario warmed up once, then measured in ≥ 3 rounds with the order
 * rotated each round; medians per scenario and ratios as the median of per-round ratios. A run that lost more than 5%
 * of a core to steal is repeated once and flagged.
 */
import { coreTimes, cpuMicros, maxStealPercent, memoryMiB } from './cpu';
import { runWrk, type WrkOptions, type WrkResult } from './wrk';

/** A loaded endpoint; `pid` is the system under test whose CPU and memory are read. */
export interface Scenario {
  name: string;
  url: string;
  connections: number;
  pid?: number;
  /** Headers wrk sends with every request (see WrkOptions). */
  headers?: Record<string, string>;
  /** A wrk Lua script (see WrkOptions). */
  script?: string;
}

/** One measured run of one scenario. */
export interface Sample extends WrkResult {
  round: number;
  /** CPU µs per request of the system under test, when it has a pid. */
  cpuUsPerReq?: number;
  stealPercent: number;
  repeatedForSteal: boolean;
}

/** A scenario's samples, medians and memory. */
export interface ScenarioResult {
  name: string;
  connections: number;
  samples: Sample[];
  median: { reqPerSec: number; p50Ms: number; p99Ms: number; cpuUsPerReq?: number };
  memory?: { idleMiB: number; afterMiB: number; peakMiB: number };
  errors: number;
}

/** How long and how often. */
export interface RoundOptions {
  rounds: number;
  durationS: number;
  warmupS: number;
  log?: (line: string) => void;
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function wrkShape(scenario: Scenario): Omit<WrkOptions, 'durationS'> {
  return { url: scenario.url, connections: scenario.connections, headers: scenario.headers, script: scenario.script };
}

async function measure(scenario: Scenario, round: number, durationS: number): Promise<Sample> {
  let repeatedForSteal = false;
  for (let attempt = 0; ; attempt += 1) {
    const cores = coreTimes();
    const cpuBefore = scenario.pid ? cpuMicros(scenario.pid) : 0;
    const result = await runWrk({ ...wrkShape(scenario), durationS });
    const cpuAfter = scenario.pid ? cpuMicros(scenario.pid) : 0;
    const stealPercent = maxStealPercent(cores, coreTimes());
    if (stealPercent > 5 && attempt === 0) {
      repeatedForSteal = true;
      continue;
    }
    const cpuUsPerReq = scenario.pid && result.requests > 0 ? (cpuAfter - cpuBefore) / result.requests : undefined;
    return { ...result, round, cpuUsPerReq, stealPercent, repeatedForSteal };
  }
}

/** Warms each scenario up, then runs `rounds` interleaved rounds, rotating the order by one each round. */
export async function runRounds(scenarios: Scenario[], options: RoundOptions): Promise<ScenarioResult[]> {
  const log = options.log ?? (() => undefined);
  const idle = new Map(scenarios.map((s) => [s.name, s.pid ? memoryMiB(s.pid).rss : 0]));
  for (const scenario of scenarios) {
    log(`warm-up ${scenario.name} (${options.warmupS}s)`);
    await runWrk({ ...wrkShape(scenario), durationS: options.warmupS });
  }
  const samples = new Map<string, Sample[]>(scenarios.map((s) => [s.name, []]));
  for (let round = 0; round < options.rounds; round += 1) {
    const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length] as Scenario);
    for (const scenario of order) {
      const sample = await measure(scenario, round + 1, options.durationS);
      samples.get(scenario.name)?.push(sample);
      log(
        `round ${round + 1} ${scenario.name}: ${sample.reqPerSec.toFixed(0)} req/s p50 ${sample.p50Ms}ms p99 ${sample.p99Ms}ms` +
          (sample.cpuUsPerReq !== undefined ? ` ${sample.cpuUsPerReq.toFixed(1)} µs/req` : '') +
          ` steal ${sample.stealPercent.toFixed(1)}%`,
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
      median: {
        reqPerSec: median(own.map((s) => s.reqPerSec)),
        p50Ms: median(own.map((s) => s.p50Ms)),
        p99Ms: median(own.map((s) => s.p99Ms)),
        cpuUsPerReq: cpu.length ? median(cpu) : undefined,
      },
      memory: memory ? { idleMiB: idle.get(scenario.name) ?? 0, afterMiB: memory.rss, peakMiB: memory.hwm } : undefined,
      errors: own.reduce((sum, s) => sum + s.errors, 0),
    };
  });
}

/** Median over rounds of `pick(a)/pick(b)` for the same round: the ratio that survives a noisy machine. */
export function medianRatio(a: ScenarioResult, b: ScenarioResult, pick: (s: Sample) => number | undefined): number | undefined {
  const ratios: number[] = [];
  for (const sample of a.samples) {
    const other = b.samples.find((s) => s.round === sample.round);
    const x = pick(sample);
    const y = other ? pick(other) : undefined;
    if (x !== undefined && y !== undefined && y > 0) ratios.push(x / y);
  }
  return ratios.length ? median(ratios) : undefined;
}

/** The widest (max − min) ÷ median over rounds, in percent, across scenarios: how noisy the run was for that figure. */
export function widestSpreadPercent(results: ScenarioResult[], pick: (s: Sample) => number | undefined): number {
  let widest = 0;
  for (const result of results) {
    const values = result.samples.map(pick).filter((v): v is number => v !== undefined);
    if (values.length < 2) continue;
    widest = Math.max(widest, (100 * (Math.max(...values) - Math.min(...values))) / median(values));
  }
  return widest;
}
