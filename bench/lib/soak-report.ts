/**
 * The soak's bookkeeping: per-minute buckets of outcomes and latencies per traffic stream, per-minute process samples
 * (RSS, event-loop lag), the verdict (unexpected answers, unbounded memory growth) and the markdown section.
 */
import type { Sample } from '../../test/e2e/support/load';
import { fmt, markdownTable } from './report';

/** One minute of traffic. */
export interface MinuteBucket {
  requests: number;
  unexpected: number;
  /** Outcome counts per stream: `{ 'web proxied': { '200': 1800 } }`. */
  outcomes: Record<string, Record<string, number>>;
  latencies: number[];
  ws: { ok: number; failed: number };
}

/** Process figures taken at the end of a minute, per BFF. */
export interface ProcessSample {
  rssMiB: number;
  peakMiB: number;
  lagMaxMs: number;
  lagP99Ms: number;
}

/** Up to this many unexpected answers are kept verbatim for the report. */
const EXAMPLES = 10;

/** Collects samples into minute buckets. */
export class SoakBook {
  readonly minutes: MinuteBucket[] = [];
  readonly processes: Array<Record<string, ProcessSample>> = [];
  readonly examples: string[] = [];

  /** `minutes`: the run's length in whole minutes; answers arriving after the end count in the last one. */
  constructor(
    private readonly startedAt: number,
    private readonly minutesInRun: number,
  ) {}

  private bucket(at: number): MinuteBucket {
    const index = Math.min(this.minutesInRun - 1, Math.max(0, Math.floor((at - this.startedAt) / 60_000)));
    while (this.minutes.length <= index) this.minutes.push({ requests: 0, unexpected: 0, outcomes: {}, latencies: [], ws: { ok: 0, failed: 0 } });
    return this.minutes[index]!;
  }

  /** Records one HTTP sample of `stream`; `expected` says whether its outcome is one the stream may see. */
  http(stream: string, sample: Sample, expected: boolean): void {
    const bucket = this.bucket(performance.now());
    const key = sample.status !== undefined ? String(sample.status) : (sample.error ?? 'ERROR');
    const counts = (bucket.outcomes[stream] ??= {});
    counts[key] = (counts[key] ?? 0) + 1;
    bucket.requests++;
    bucket.latencies.push(sample.latencyMs);
    if (!expected) {
      bucket.unexpected++;
      if (this.examples.length < EXAMPLES) this.examples.push(`${stream} ${sample.tag}: ${key} ${(sample.body ?? '').slice(0, 160)}`);
    }
  }

  /** Records one WebSocket session (order placed, live updates followed to DELIVERED). */
  ws(ok: boolean, what?: string): void {
    const bucket = this.bucket(performance.now());
    if (ok) bucket.ws.ok++;
    else {
      bucket.ws.failed++;
      bucket.unexpected++;
      if (what && this.examples.length < EXAMPLES) this.examples.push(`websocket: ${what}`);
    }
  }
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// Theil–Sen slope of y over x = 0, 1, 2 … (MiB per minute): the median of the slopes between every two minutes. A
// least-squares line is pulled by one odd minute: RSS that dipped once as the collector returned pages, then stayed
// flat, read as growth (public-api 98.8 → 128.6, then 127.8–131.2 MiB: 2.94 MiB/min least squares, 0.69 Theil–Sen).
export function slope(values: number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < values.length; i++) for (let j = i + 1; j < values.length; j++) slopes.push((values[j]! - values[i]!) / (j - i));
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length / 2;
  return Number.isInteger(mid) ? (slopes[mid - 1]! + slopes[mid]!) / 2 : slopes[Math.floor(mid)]!;
}

/** Memory growth rule: judged from minute 3 on; fails when RSS keeps rising (> 2 MiB/min) AND has grown > 32 MiB since then. */
export const GROWTH_RULE = { fromMinute: 3, maxSlopeMiBPerMin: 2, maxGrowthMiB: 32 } as const;

/** The memory verdict per process: growth since the warm-up and the slope after it. */
export function memoryVerdict(
  processes: Array<Record<string, ProcessSample>>,
  names: string[],
): { judged: boolean; rows: Array<{ name: string; warm: number; last: number; slope: number; ok: boolean }> } {
  const from = GROWTH_RULE.fromMinute - 1;
  if (processes.length < GROWTH_RULE.fromMinute + 1) return { judged: false, rows: [] };
  const rows = names.map((name) => {
    const series = processes.slice(from).map((p) => p[name]?.rssMiB ?? NaN);
    const warm = series[0]!;
    const last = series.at(-1)!;
    const s = slope(series);
    return { name, warm, last, slope: s, ok: !(s > GROWTH_RULE.maxSlopeMiBPerMin && last - warm > GROWTH_RULE.maxGrowthMiB) };
  });
  return { judged: true, rows };
}

/** The report section for docs/benchmarks.md. */
export function soakMarkdown(input: {
  book: SoakBook;
  bffs: string[];
  durationMin: number;
  command: string;
  mix: string[];
  passed: boolean;
  reasons: string[];
  date: string;
}): string {
  const { book, bffs } = input;
  const header = [
    'minute',
    'requests',
    'unexpected',
    'rate-limited 200 / 429',
    'p50 ms',
    'p99 ms',
    'max ms',
    'WS ok / failed',
    ...bffs.map((b) => `${b} RSS MiB`),
    ...bffs.map((b) => `${b} lag max / p99 ms`),
  ];
  const rows = book.minutes.map((m, i) => {
    const rl = m.outcomes['rate-limited'] ?? {};
    const proc = book.processes[i] ?? {};
    return [
      String(i + 1),
      fmt(m.requests),
      fmt(m.unexpected),
      `${fmt(rl['200'] ?? 0)} / ${fmt(rl['429'] ?? 0)}`,
      fmt(pct(m.latencies, 50), 1),
      fmt(pct(m.latencies, 99), 1),
      fmt(Math.max(...m.latencies), 1),
      `${m.ws.ok} / ${m.ws.failed}`,
      ...bffs.map((b) => (proc[b] ? fmt(proc[b].rssMiB, 1) : '—')),
      ...bffs.map((b) => (proc[b] ? `${fmt(proc[b].lagMaxMs, 1)} / ${fmt(proc[b].lagP99Ms, 1)}` : '—')),
    ];
  });
  const totals: Record<string, Record<string, number>> = {};
  for (const m of book.minutes)
    for (const [stream, counts] of Object.entries(m.outcomes))
      for (const [k, n] of Object.entries(counts)) (totals[stream] ??= {})[k] = (totals[stream][k] ?? 0) + n;
  const memory = memoryVerdict(book.processes, bffs);
  const lines = [
    `## Soak: mixed traffic for ${input.durationMin} minutes`,
    '',
    `Run ${input.date} with \`${input.command}\`: the real fleet (six backends, web-bff, mobile-bff, public-api) on loopback, Redis at REDIS_URL under a`,
    'per-run key prefix, paced closed-loop load from one process (bench/soak.ts). Not pinned to cores, and not in the default test run.',
    '',
    'Traffic mix:',
    ...input.mix.map((m) => `- ${m}`),
    '',
    `**Verdict: ${input.passed ? 'passed' : 'FAILED'}.** ${input.reasons.join(' ')}`,
    '',
    markdownTable(header, rows),
    '',
    'Latency percentiles are over every HTTP request of the minute (all streams); RSS is VmRSS at the end of the minute; event-loop',
    "lag is prom-client's histogram over the minute (scraped, and so reset, once a minute).",
    '',
    markdownTable(
      ['stream', 'outcomes over the whole run'],
      Object.entries(totals).map(([s, counts]) => [
        s,
        Object.entries(counts)
          .map(([k, n]) => `${fmt(n)} × ${k}`)
          .join(', '),
      ]),
    ),
    '',
    memory.judged
      ? `Memory (rule: fail when RSS rises > ${GROWTH_RULE.maxSlopeMiBPerMin} MiB/min from minute ${GROWTH_RULE.fromMinute} on and grew > ${GROWTH_RULE.maxGrowthMiB} MiB): ` +
        memory.rows.map((r) => `${r.name} ${fmt(r.warm, 1)} → ${fmt(r.last, 1)} MiB, ${fmt(r.slope, 2)} MiB/min${r.ok ? '' : ' (GROWING)'}`).join('; ') +
        '.'
      : `Memory growth not judged: the run was shorter than ${GROWTH_RULE.fromMinute + 1} minutes.`,
  ];
  if (book.examples.length > 0) lines.push('', 'Unexpected answers (first few):', '', ...book.examples.map((e) => `- \`${e.replace(/`/g, "'")}\``));
  return lines.join('\n');
}
