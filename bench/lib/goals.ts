/**
 * The goals the issues set, measured: suites that check a goal list it under `goals` in their JSON; the edge-stack and
 * ws-fanout figures are read from those suites' own JSON. assemble.ts renders every goal as one table at the top of
 * docs/benchmarks.md, so no figure in it is typed by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, markdownTable } from './report';
import { medianRatio, type ScenarioResult } from './rounds';

/** One goal and what a run measured against it. */
export interface Goal {
  /** What is promised, e.g. "≥ 40% of nginx's req/s at c=50". */
  goal: string;
  /** The measured figure, formatted, e.g. "88% (12,923 vs 14,634 req/s)". */
  measured: string;
  pass: boolean;
}

/** A goal as a suite stores it: which section of the report it comes from. */
export interface SuiteGoal extends Goal {
  suite: string;
}

/**
 * `value` with `decimals` digits, or one more when it would print as `limit` itself, so a verdict never sits next to
 * a figure that reads as the limit (0.398 against 0.4 is 39.8%, not 40%).
 */
export function fmtAgainst(value: number, limit: number, decimals: number): string {
  return fmt(value, fmt(value, decimals) === fmt(limit, decimals) && value !== limit ? decimals + 1 : decimals);
}

/** Formats PASS/FAIL. */
export const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');

/** Markdown lines listing goals with their numbers, for a suite's own section. */
export function goalLines(goals: Goal[]): string[] {
  return goals.map((g) => `- **${verdict(g.pass)}**: ${g.goal}: ${g.measured}`);
}

function readJson(dir: string, suite: string): Record<string, unknown> | undefined {
  const file = join(dir, `${suite}.json`);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

// edge-stack.json predates goal lists: the goal (≥ 70% of the bare route's req/s, full stack with tracing) is
// recomputed from its per-round samples exactly as its section does.
function edgeStackGoals(json: Record<string, unknown>): Goal[] {
  const results = json.results as ScenarioResult[] | undefined;
  const bare = results?.find((r) => r.name === 'bare Koa route');
  const full = results?.find((r) => r.name === 'full edge stack + tracing (OTLP)');
  if (!bare || !full) return [];
  const share = medianRatio(full, bare, (s) => s.reqPerSec);
  if (share === undefined) return [];
  return [{ goal: "full edge stack (JWT, scopes, Redis rate limit, metrics, tracing) keeps ≥ 70% of a bare route's req/s at c=50", measured: `${fmt(share * 100)}%`, pass: share >= 0.7 }];
}

function wsFanoutGoals(json: Record<string, unknown>): Goal[] {
  const kb = json.kbPerIdleSocket as number | undefined;
  const p99 = (json.latencyMs as { p99?: number } | undefined)?.p99;
  const goals: Goal[] = [];
  if (typeof kb === 'number') goals.push({ goal: 'WebSocket: < 50 KB RSS per idle socket', measured: `${fmt(kb, 1)} KB`, pass: kb < 50 });
  if (typeof p99 === 'number') goals.push({ goal: 'WebSocket: p99 fan-out latency < 100 ms', measured: `${fmt(p99)} ms`, pass: p99 < 100 });
  return goals;
}

/** The suites that check goals, in the order the goals table lists them. */
export const GOAL_SUITES = ['edge-stack', 'proxy-baselines', 'portico-composition', 'ws-fanout', 'bff-startup', 'bff-order-details'] as const;

/** Every goal found in the JSON under `dir` of the GOAL_SUITES among `suites`, in GOAL_SUITES order. */
export function collectGoals(dir: string, suites: string[]): SuiteGoal[] {
  const out: SuiteGoal[] = [];
  for (const suite of GOAL_SUITES.filter((s) => suites.includes(s))) {
    const json = readJson(dir, suite);
    if (!json) continue;
    let goals: Goal[] = [];
    if (Array.isArray(json.goals)) goals = json.goals as Goal[];
    else if (suite === 'edge-stack') goals = edgeStackGoals(json);
    else if (suite === 'ws-fanout') goals = wsFanoutGoals(json);
    out.push(...goals.map((g) => ({ ...g, suite })));
  }
  return out;
}

/** The "Goals" table: one row per goal, with the suite whose section holds the details and the run's date. */
export function goalsMarkdown(goals: SuiteGoal[], dates: Record<string, string | undefined>): string {
  if (goals.length === 0) return '';
  const rows = goals.map((g) => [g.goal, g.measured, `**${verdict(g.pass)}**`, `${g.suite}${dates[g.suite] ? ` (${dates[g.suite]!.slice(0, 10)})` : ''}`]);
  const failed = goals.filter((g) => !g.pass).length;
  return [
    '## Goals',
    '',
    `Every goal the issues set, as last measured (${goals.length - failed} of ${goals.length} met). Read from each suite's JSON by the assembler; the section named in the last column has the method and the per-round figures.`,
    '',
    markdownTable(['goal', 'measured', 'verdict', 'suite (run date)'], rows),
  ].join('\n');
}

/** The date a suite's JSON says it ran (machine.date), for the goals table. */
export function suiteDate(dir: string, suite: string): string | undefined {
  const machine = readJson(dir, suite)?.machine as { date?: string } | undefined;
  return machine?.date;
}
