/**
 * Service-client baselines: a four-way composition (four upstreams, 10 ms each) done with got and with undici Pools,
 * at c=50 (CPU per composed request, p50/p99), plus sequential against parallel calls with undici at c=1.
 * Writes docs/benchmarks/composition-clients.{md,svg,json}.
 */
import { checkAnswers } from './lib/check';
import { nodeTs, startProcess, stopAll, runMain, type BenchProcess } from './lib/processes';
import { benchSettings, fmt, machineInfo, markdownTable, resultsChartSvg, publishSection } from './lib/report';
import { medianRatio, runRounds, widestSpreadPercent, type Scenario, type ScenarioResult } from './lib/rounds';
import { wrkArgs } from './lib/wrk';

const UPSTREAM_LATENCY_MS = 10;
const PARTS = ['order', 'kitchen', 'delivery', 'bill'];

/** Every scenario of this report, in one place: which server, which path, how many connections. */
const SCENARIOS = [
  { name: 'got, 4 parallel calls (c=50)', server: 'got', path: '/parallel', connections: 50 },
  { name: 'undici Pools, 4 parallel calls (c=50)', server: 'undici', path: '/parallel', connections: 50 },
  { name: 'undici, 4 sequential calls (c=1)', server: 'undici', path: '/sequential', connections: 1 },
  { name: 'undici, 4 parallel calls (c=1)', server: 'undici', path: '/parallel', connections: 1 },
] as const;

function verifyComposed(body: Buffer): string | undefined {
  const parsed = JSON.parse(body.toString()) as Record<string, { id?: string }>;
  const missing = PARTS.filter((part) => parsed[part]?.id !== 'ord-0001');
  return missing.length ? `composed body lacks ${missing.join(', ')}` : undefined;
}

const byName = (results: ScenarioResult[], name: string) => results.find((r) => r.name === name);

async function main(): Promise<void> {
  const settings = benchSettings();
  const started: BenchProcess[] = [];
  try {
    const upstream = await startProcess({
      name: 'upstreams (cpu0)',
      cpu: 0,
      command: nodeTs('bench/lib/upstream.ts'),
      env: { UPSTREAM_COUNT: '4', UPSTREAM_LATENCY_MS: String(UPSTREAM_LATENCY_MS) },
    });
    started.push(upstream);
    const env = { UPSTREAM_URLS: (upstream.info.ports as number[]).map((p) => `http://127.0.0.1:${p}`).join(',') };
    const servers: Record<string, BenchProcess> = {
      got: await startProcess({ name: 'compose-got', cpu: 1, command: [process.execPath, 'bench/servers/compose-got.mjs'], env }),
      undici: await startProcess({ name: 'compose-undici', cpu: 1, command: nodeTs('bench/servers/compose-undici.ts'), env }),
    };
    started.push(...Object.values(servers));
    const scenarios: Scenario[] = [];
    for (const def of SCENARIOS) {
      const server = servers[def.server] as BenchProcess;
      const url = `http://127.0.0.1:${Number(server.info.port)}${def.path}`;
      await checkAnswers(def.name, url, verifyComposed);
      scenarios.push({ name: def.name, url, connections: def.connections, pid: server.pid });
    }
    const results = await runRounds(scenarios, { ...settings, log: (line) => console.log(line) });
    const got = byName(results, SCENARIOS[0].name);
    const undici = byName(results, SCENARIOS[1].name);
    const cpuRatio = got && undici ? medianRatio(got, undici, (s) => s.cpuUsPerReq) : undefined;
    const rows = results.map((r) => [
      r.name,
      fmt(r.median.reqPerSec),
      fmt(r.median.p50Ms, 2),
      fmt(r.median.p99Ms, 2),
      // At c=1 the process mostly waits: CPU per request there is idle cost over few requests at /proc's 10 ms tick.
      r.connections > 1 ? fmt(r.median.cpuUsPerReq, 1) : '—',
      r.memory ? `${fmt(r.memory.idleMiB)} / ${fmt(r.memory.afterMiB)} / ${fmt(r.memory.peakMiB)}` : '—',
      fmt(r.errors),
    ]);
    const machine = machineInfo();
    const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
    const command = `taskset ${wrkArgs({ url: '<url>', connections: 50, durationS: settings.durationS }).join(' ')}`;
    const markdown = [
      '## Service clients: four-way composition, got vs undici',
      '',
      `Run ${machine.date}; ${settings.rounds} interleaved rounds of \`${command}\` (\`-c1\` for the c=1 rows) per scenario after a ${settings.warmupS} s warm-up; ` +
        `four upstreams answering after ${UPSTREAM_LATENCY_MS} ms (one process on cpu0 with wrk), the composing server alone on cpu1. ` +
        `CPU µs/req is per composed request (four upstream calls), shown at c=50 only (at c=1 the process mostly waits). ` +
        `The three undici rows share one process, hence one memory figure. Medians; highest steal seen in a run: ${fmt(steal, 1)}%; widest round-to-round spread of one scenario: req/s ${fmt(
          widestSpreadPercent(
            results.filter((r) => r.connections > 1),
            (s) => s.reqPerSec,
          ),
        )}%, CPU µs/req ${fmt(
          widestSpreadPercent(
            results.filter((r) => r.connections > 1),
            (s) => s.cpuUsPerReq,
          ),
        )}%.`,
      '',
      markdownTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'RSS MiB idle / after / peak', 'errors'], rows),
      '',
      `got spends **${fmt(cpuRatio, 1)}×** the CPU of undici Pools per composed request (median of per-round ratios).`,
      '',
      '![composition clients](benchmarks/composition-clients.svg)',
      '',
    ].join('\n');
    const svg = resultsChartSvg('Four-way composition', results);
    publishSection('composition-clients', { markdown, svg, json: { machine, settings, command, cpuRatioGotOverUndici: cpuRatio, results } });
  } finally {
    await stopAll(started);
  }
}

runMain(main);
