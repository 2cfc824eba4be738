/**
 * Report writers: markdown tables, an SVG bar chart of req/s and p99 per scenario drawn without external tools, and the
 * docs/benchmarks/ files each suite leaves for bench/run.sh to assemble into docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Where suites write their sections, charts and raw results. */
export const REPORT_DIR = join(__dirname, '..', '..', 'docs', 'benchmarks');

/** A markdown table; the first column is left-aligned, the figures after it right-aligned. */
export function markdownTable(headers: string[], rows: Array<Array<string | number>>): string {
  const align = headers.map((_, i) => (i === 0 ? '---' : '---:'));
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(align), ...rows.map(line)].join('\n');
}

/** Formats a number with a fixed count of decimals and thousands separators. */
export function fmt(value: number | undefined, decimals = 0): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(title: string, bars: Array<{ label: string; value: number }>, unit: string, x0: number, width: number, colour: string): string {
  const max = Math.max(...bars.map((b) => b.value), 1);
  const labelW = 250;
  const barArea = width - labelW - 90;
  const parts = [`<text x="${x0}" y="24" font-weight="bold">${escapeXml(title)}</text>`];
  bars.forEach((bar, i) => {
    const y = 40 + i * 30;
    const w = Math.max(1, Math.round((bar.value / max) * barArea));
    parts.push(`<text x="${x0}" y="${y + 15}">${escapeXml(bar.label)}</text>`);
    parts.push(`<rect x="${x0 + labelW}" y="${y}" width="${w}" height="20" fill="${colour}"/>`);
    parts.push(`<text x="${x0 + labelW + w + 6}" y="${y + 15}">${escapeXml(`${fmt(bar.value, bar.value < 100 ? 1 : 0)} ${unit}`)}</text>`);
  });
  return parts.join('\n');
}

/** A two-panel horizontal bar chart (req/s on the left, p99 ms on the right), one bar per scenario. */
export function barChartSvg(title: string, rows: Array<{ label: string; reqPerSec: number; p99Ms: number }>): string {
  const panelW = 560;
  const height = 60 + rows.length * 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${panelW * 2}" height="${height + 20}" font-family="sans-serif" font-size="13">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(
      `${title}: req/s (median)`,
      rows.map((r) => ({ label: r.label, value: r.reqPerSec })),
      'req/s',
      10,
      panelW,
      '#3b6ea5',
    ),
    panel(
      'p99 latency, ms (median)',
      rows.map((r) => ({ label: r.label, value: r.p99Ms })),
      'ms',
      panelW + 10,
      panelW,
      '#c0504d',
    ),
    '</svg>',
    '',
  ].join('\n');
}

/** The machine a run happened on, for the report header. */
export function machineInfo(): { nproc: number; kernel: string; node: string; cpuModel: string; date: string } {
  const kernel = execFileSync('uname', ['-r']).toString().trim();
  return { nproc: cpus().length, kernel, node: process.version, cpuModel: cpus()[0]?.model ?? 'unknown', date: new Date().toISOString() };
}

/** The bar chart of a suite's scenarios: req/s and p99 of each one's medians, labelled by `label` (default: its name). */
export function resultsChartSvg(
  title: string,
  results: ReadonlyArray<{ name: string; median: { reqPerSec: number; p99Ms: number } }>,
  label: (name: string) => string = (name) => name,
): string {
  return barChartSvg(title, results.map((r) => ({ label: label(r.name), reqPerSec: r.median.reqPerSec, p99Ms: r.median.p99Ms })));
}

/**
 * Writes a suite's `docs/benchmarks/<suite>.md` section, `<suite>.svg` chart and `<suite>.json` raw results;
 * bench/run.sh concatenates the sections into docs/benchmarks.md. A suite run with `--print-only` writes nothing, so
 * a trial run never replaces the recorded figures.
 */
export function writeSection(suite: string, files: { markdown: string; svg?: string; json: unknown }): void {
  if (process.argv.includes('--print-only')) {
    console.log(`--print-only: docs/benchmarks/${suite}.* left as they were`);
    return;
  }
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(join(REPORT_DIR, `${suite}.md`), files.markdown.endsWith('\n') ? files.markdown : `${files.markdown}\n`);
  if (files.svg) writeFileSync(join(REPORT_DIR, `${suite}.svg`), files.svg);
  writeFileSync(join(REPORT_DIR, `${suite}.json`), `${JSON.stringify(files.json, null, 2)}\n`);
}

/** Suite settings from the environment bench/run.sh passes (BENCH_DURATION, BENCH_ROUNDS, BENCH_WARMUP). */
export function benchSettings(env: NodeJS.ProcessEnv = process.env): { durationS: number; rounds: number; warmupS: number } {
  const num = (name: string, fallback: number, min: number) => Math.max(min, Number(env[name] ?? fallback) || fallback);
  return { durationS: num('BENCH_DURATION', 8, 1), rounds: num('BENCH_ROUNDS', 3, 3), warmupS: num('BENCH_WARMUP', 5, 1) };
}

/** writeSection, then the section's markdown on stdout for whoever runs the suite. */
export function publishSection(suite: string, files: { markdown: string; svg?: string; json: unknown }): void {
  writeSection(suite, files);
  console.log(files.markdown);
}
