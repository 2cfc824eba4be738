/**
 * The bff-order-details suite's report: the per-scenario table, the BFF-against-direct ratios (medians of per-round
 * ratios) and the network round-trip time above which one BFF request beats five client calls. Measuring is the suite's job.
 */
import type { RateBudget } from './rate-budget';
import { fmt, markdownTable } from './report';
import { medianRatio, widestSpreadPercent, type ScenarioResult } from './rounds';

/** A BFF whose getOrderDetails the suite loads. */
export interface Target {
  name: string;
  url(orderId: string): string;
  headers(consumer: string): Record<string, string>;
  /** How many backends its getOrderDetails calls. */
  backends: number;
}

/** What the suite set up before loading: targets, one order per consumer, the rate budgets, the direct calls. */
export interface Prepared {
  targets: Target[];
  orders: Map<string, string>;
  budgets: Map<string, RateBudget>;
  /** The five backend URLs a client calls, in order, for an order. */
  direct(orderId: string): string[];
}

/** One BFF against the direct client, as the JSON keeps it. */
export interface OrderDetailsSummary {
  bff: string;
  p50RatioC1?: number;
  p99RatioC1?: number;
  throughputRatioC10?: number;
  /** (BFF p50 − direct p50) ÷ 4 saved round trips, ms: the client RTT above which the BFF answers sooner. */
  breakEvenRttMs: number;
}

/** Everything the section states. */
export interface ReportInput {
  results: ScenarioResult[];
  prepared: Prepared;
  settings: { rounds: number };
  counts: { c1: number; c10: number; warmup: number };
  limits: Record<string, number>;
  direct: string;
  date: string;
  runS: number;
  waitedS: number;
}

/** The markdown section and the per-BFF summary. */
export function orderDetailsMarkdown(input: ReportInput): { markdown: string; summary: OrderDetailsSummary[] } {
  const { results, prepared, counts } = input;
  const by = (name: string) => results.find((r) => r.name === name)!;
  const directC1 = by(`${input.direct} (c=1)`);
  const directC10 = by(`${input.direct} (c=10)`);
  const summary: OrderDetailsSummary[] = prepared.targets.map((t) => {
    const c1 = by(`${t.name} getOrderDetails (c=1)`);
    const c10 = by(`${t.name} getOrderDetails (c=10)`);
    return {
      bff: t.name,
      p50RatioC1: medianRatio(c1, directC1, (s) => s.p50Ms),
      p99RatioC1: medianRatio(c1, directC1, (s) => s.p99Ms),
      throughputRatioC10: medianRatio(c10, directC10, (s) => s.reqPerSec),
      breakEvenRttMs: (c1.median.p50Ms - directC1.median.p50Ms) / 4,
    };
  });
  const backendsOf = (name: string) => prepared.targets.find((t) => name.startsWith(`${t.name} `))?.backends ?? 5;
  const rows = results.map((r) => [
    r.name,
    fmt(r.median.reqPerSec),
    fmt(r.median.p50Ms, 2),
    fmt(r.median.p99Ms, 2),
    r.connections > 1 ? fmt(r.median.cpuUsPerReq, 1) : '—',
    r.memory ? fmt(r.memory.peakMiB) : '—',
    String(backendsOf(r.name)),
    fmt(r.errors),
  ]);
  const ratioRows = summary.map((s) => [
    s.bff,
    `${fmt(s.p50RatioC1, 2)}×`,
    `${fmt(s.p99RatioC1, 2)}×`,
    `${fmt(s.throughputRatioC10, 2)}×`,
    s.breakEvenRttMs <= 0 ? 'any (faster on loopback too)' : `${fmt(s.breakEvenRttMs, 2)} ms`,
  ]);
  const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
  const limits = Object.entries(input.limits).map(([bff, n]) => `${bff} ${fmt(n)}/min`).join(', ');
  const markdown = [
    '## getOrderDetails through the real fleet: one BFF request against five client calls',
    '',
    `Run ${input.date} with \`BENCH_SUITES="bff-order-details" bash bench/run.sh\` (${fmt(input.runS)} s of rounds, ${fmt(input.waitedS)} s of it waiting for rate-limit room). ` +
      'The real fleet from each service\'s dist/main.js, wired by scripts/fleet-plan.mjs as the e2e harness starts it (NODE_ENV=test: the local HS256 ' +
      'secret that signs the tokens is refused in production), no REDIS_URL (rate limits in process memory), LOG_LEVEL info, order steps of 1 h so the orders ' +
      'stay APPROVED. The six backends with the load client on cpu0, the three BFFs on cpu1. One order per seeded consumer (c-1001…c-1003) placed through ' +
      'web-bff first; mobile-bff and web-bff get HS256 tokens signed as `npm run token` does, public-api a partner-plan API key per consumer (generateApiKey, ' +
      'in a temporary API_KEYS_FILE).',
    '',
    `- **BFF rows**: GET of the order's details, the consumer's own order. mobile-bff calls order, restaurant and delivery (three backends, HTTP); web-bff ` +
      'composes order, restaurant and accounting over HTTP with kitchen and delivery over gRPC (declarative `compose:`); public-api does the same five in code.',
    `- **${input.direct}**: GET order, kitchen ticket, delivery, bill and restaurant straight from the backends over HTTP, each call after the last answered, ` +
      'on keep-alive loopback connections: what a client without a BFF would do (it needs the order before it knows the restaurant).',
    `- **Counts**: the routes' limits are per principal in routes.yaml (${limits}) and no environment variable raises them (only EXPECTED_REPLICAS, which ` +
      `lowers the fail-open share), so every run is bounded: ${fmt(counts.c1)} requests at c=1, ${fmt(counts.c10)} at c=10, ${fmt(counts.warmup)} per warm-up, ` +
      'spread over the three consumers, with the suite waiting (a model of the edge\'s sliding window, bench/lib/rate-budget.ts) until a consumer has room. ' +
      `c=10 figures therefore come from short bursts of ${fmt(counts.c10)} requests.`,
    `- ${input.settings.rounds} interleaved rounds after a warm-up, order rotated; all scenarios through bench/servers/load-client.ts (one warm Node process, ` +
      'undici keep-alive, closed loop; an operation is timed from its first request to its last answer).',
    '',
    markdownTable(['scenario', 'ops/s', 'p50 ms', 'p99 ms', 'BFF CPU µs/req', 'BFF peak RSS MiB', 'backends per op', 'errors'], rows),
    '',
    markdownTable(['BFF', 'p50 × direct (c=1)', 'p99 × direct (c=1)', 'ops/s × direct (c=10)', 'client RTT above which the BFF is faster'], ratioRows),
    '',
    'Ratios are medians of per-round ratios. On loopback a round trip costs a fraction of a millisecond, so the BFF\'s extra hop and its edge work ' +
      '(token or key check, rate limit, access log, JSON reshaping) are what the c=1 ratio shows. A client on a real network pays its round-trip time on each ' +
      'sequential call and once for the BFF: with five calls against one, the BFF answers sooner as soon as the RTT exceeds (BFF p50 − direct p50) ÷ 4, the last ' +
      'column (mobile-bff fetches three parts, not five, so its own client would need three calls). ' +
      `Highest steal seen in a run: ${fmt(steal, 1)}%; widest round-to-round spread of one scenario: p50 ${fmt(widestSpreadPercent(results, (s) => s.p50Ms))}%.`,
    '',
    '![getOrderDetails through the BFFs and directly](benchmarks/bff-order-details.svg)',
    '',
  ].join('\n');
  return { markdown, summary };
}
