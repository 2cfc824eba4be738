/**
 * Telemetry overhead: the same Koa app with Portico's edge middleware with tracing off (the default without
 * OTEL_EXPORTER_OTLP_ENDPOINT), with the SDK's instrumentations but no exporter, recording spans without exporting them,
 * and exporting over OTLP/HTTP to a sink, every trace or 10%. Reports CPU µs per request against "off".
 * Writes docs/benchmarks/telemetry-overhead.* unless run with --print-only.
 */
import { UPSTREAM_BODY } from './lib/upstream';
import { checkAnswers } from './lib/check';
import { startOtlpSink } from './lib/otlp-sink';
import { nodeTs, startProcess, stopAll, runMain, type BenchProcess } from './lib/processes';
import { benchSettings, fmt, machineInfo, markdownTable, writeSection, resultsChartSvg } from './lib/report';
import { medianRatio, runRounds, type Scenario } from './lib/rounds';
import { wrkArgs } from './lib/wrk';

const CONNECTIONS = 50;
const SUT_CPU = 1;
const LOAD_CPU = 0;

// The first is the baseline the others are compared with. Samplers are the SDK's own OTEL_TRACES_SAMPLER values.
const MODES: Array<{ mode: string; name: string; env?: Record<string, string> }> = [
  { mode: 'off', name: 'off (no OTLP endpoint: default)' },
  { mode: 'instrumentations-only', name: 'SDK without exporter (not used)' },
  { mode: 'recording', name: 'spans recorded, not exported' },
  { mode: 'otlp', name: 'OTLP/HTTP, every trace', env: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
  { mode: 'otlp', name: 'OTLP/HTTP, 10% of traces', env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
];

async function main(): Promise<void> {
  const printOnly = process.argv.includes('--print-only');
  const settings = benchSettings();
  const started: BenchProcess[] = [];
  const sink = await startOtlpSink();
  try {
    const upstream = await startProcess({ name: 'upstream (cpu0)', cpu: LOAD_CPU, command: nodeTs('bench/lib/upstream.ts') });
    started.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${(upstream.info.ports as number[])[0]}`;
    const scenarios: Scenario[] = [];
    for (const { mode, name, env } of MODES) {
      const command = [process.execPath, '--import', 'tsx', '--import', './bench/servers/telemetry-start.ts', 'bench/servers/telemetry-app.ts'];
      const app = await startProcess({ name, cpu: SUT_CPU, command, env: { UPSTREAM_URL: upstreamUrl, BENCH_TELEMETRY: mode, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, ...env } });
      started.push(app);
      const url = `http://127.0.0.1:${Number(app.info.port)}/orders/1`;
      await checkAnswers(name, url, (body) => (body.equals(UPSTREAM_BODY) ? undefined : `body differs from the upstream's (${body.length} bytes)`));
      scenarios.push({ name, url, connections: CONNECTIONS, pid: app.pid });
    }
    const results = await runRounds(scenarios, { ...settings, log: (line) => console.log(line) });
    const off = results[0]!;
    const rows = results.map((r) => {
      const extra = r.median.cpuUsPerReq !== undefined && off.median.cpuUsPerReq !== undefined ? r.median.cpuUsPerReq - off.median.cpuUsPerReq : undefined;
      const cpuX = medianRatio(r, off, (s) => s.cpuUsPerReq);
      return [
        r.name,
        fmt(r.median.reqPerSec),
        fmt(r.median.p50Ms, 2),
        fmt(r.median.p99Ms, 2),
        fmt(r.median.cpuUsPerReq, 1),
        r === off ? '—' : `${extra !== undefined && extra >= 0 ? '+' : ''}${fmt(extra, 1)}`,
        cpuX === undefined ? '—' : `${fmt(cpuX, 2)}×`,
        r.memory ? `${fmt(r.memory.idleMiB)} / ${fmt(r.memory.afterMiB)} / ${fmt(r.memory.peakMiB)}` : '—',
        fmt(r.errors),
      ];
    });
    const machine = machineInfo();
    const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
    const command = `taskset ${wrkArgs({ url: '<url>', connections: CONNECTIONS, durationS: settings.durationS }).join(' ')}`;
    const markdown = [
      '## Telemetry overhead',
      '',
      `Run ${machine.date}; ${settings.rounds} interleaved rounds of \`${command}\` per scenario after a ${settings.warmupS} s warm-up; ` +
        'upstream, wrk and the OTLP sink on cpu0, the app alone on cpu1. The app is Koa with the edge server span, request context and access log, ' +
        'problem+json, metrics and span naming in front of one route fetching a ' +
        `${UPSTREAM_BODY.length}-byte JSON body through an undici Pool. Medians; ratios are medians of per-round ratios. ` +
        `Highest steal seen in a run: ${fmt(steal, 1)}%. OTLP exports received by the sink: ${fmt(sink.exports())}.`,
      '',
      markdownTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'Δ CPU µs/req vs off', 'CPU × off', 'RSS MiB idle / after / peak', 'errors'], rows),
      '',
      '![telemetry overhead](benchmarks/telemetry-overhead.svg)',
      '',
    ].join('\n');
    if (!printOnly) {
      const svg = resultsChartSvg('Telemetry overhead, c=50', results);
      writeSection('telemetry-overhead', { markdown, svg, json: { machine, settings, command, results } });
    }
    console.log(markdown);
  } finally {
    await stopAll(started);
    sink.close();
  }
}

runMain(main);
