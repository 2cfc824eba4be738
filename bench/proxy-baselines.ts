/**
 * Reverse-proxy baselines: the bare upstream, nginx, a minimal node:http + undici Pool proxy, Koa + koa-proxies and the
 * Portico proxied route (createBff), loaded with wrk in interleaved rounds; checks issue 3's goals for the Portico route
 * against nginx. Writes docs/benchmarks/proxy-baselines.{md,svg,json}.
 */
import { UPSTREAM_BODY } from './lib/upstream';
import { checkAnswers } from './lib/check';
import { startNginx } from './lib/nginx';
import { nodeTs, startProcess, stopAll, runMain, type BenchProcess } from './lib/processes';
import { benchSettings, fmt, machineInfo, markdownTable, resultsChartSvg, publishSection } from './lib/report';
import { fmtAgainst, goalLines, type Goal } from './lib/goals';
import { medianRatio, runRounds, widestSpreadPercent, type Scenario, type ScenarioResult } from './lib/rounds';
import { wrkArgs } from './lib/wrk';
import { freePort } from '../libs/testing/src/ports';

const CONNECTIONS = 50;
const SUT_CPU = 1;
const LOAD_CPU = 0;

/** A system under test: started pinned to cpu1 in front of the upstream on cpu0. */
interface ProxyScenario {
  name: string;
  start(upstreamUrl: string): Promise<{ process: BenchProcess; url: string }>;
}

const portOf = (p: BenchProcess) => Number(p.info.port);

/** The routing map of the Portico scenario: one proxied GET route, no auth, no rate limit, no cache. */
const PORTICO_ROUTES = `routes:
  - id: get-order
    method: GET
    path: /orders/:orderId
    upstream: \${UPSTREAM_URL}/orders/:orderId
    policy: { auth: none }
`;

const PORTICO = 'Portico proxied route (routing map, no edge functions)';

/** Every scenario of this report, in one place. */
const SCENARIOS: ProxyScenario[] = [
  {
    name: 'upstream direct',
    async start() {
      // BENCHMARKING.md: for this scenario the upstream itself moves to cpu1.
      const process = await startProcess({ name: 'upstream (cpu1)', cpu: SUT_CPU, command: nodeTs('bench/lib/upstream.ts') });
      return { process, url: `http://127.0.0.1:${(process.info.ports as number[])[0]}/orders/1` };
    },
  },
  {
    name: 'nginx, keep-alive upstream',
    async start(upstreamUrl) {
      const port = await freePort();
      const process = await startNginx(SUT_CPU, port, Number(new URL(upstreamUrl).port));
      return { process, url: `http://127.0.0.1:${port}/orders/1` };
    },
  },
  {
    name: 'node:http + undici Pool proxy',
    async start(upstreamUrl) {
      const process = await startProcess({
        name: 'undici-proxy',
        cpu: SUT_CPU,
        command: nodeTs('bench/servers/undici-proxy.ts'),
        env: { UPSTREAM_URL: upstreamUrl },
      });
      return { process, url: `http://127.0.0.1:${portOf(process)}/orders/1` };
    },
  },
  {
    name: 'Koa + koa-proxies (keep-alive agent)',
    async start(upstreamUrl) {
      const process = await startProcess({
        name: 'koa-proxies',
        cpu: SUT_CPU,
        command: nodeTs('bench/servers/koa-proxies.ts'),
        env: { UPSTREAM_URL: upstreamUrl },
      });
      return { process, url: `http://127.0.0.1:${portOf(process)}/orders/1` };
    },
  },
  {
    name: PORTICO,
    async start(upstreamUrl) {
      const process = await startProcess({
        name: 'portico-bff',
        cpu: SUT_CPU,
        command: nodeTs('bench/servers/portico-bff.ts'),
        env: { UPSTREAM_URL: upstreamUrl, BENCH_ROUTES: PORTICO_ROUTES },
        timeoutMs: 60_000,
      });
      return { process, url: `http://127.0.0.1:${portOf(process)}/orders/1` };
    },
  },
];

const NGINX = 'nginx, keep-alive upstream';

/** Issue 3's goals for the Portico proxied route, judged on medians of per-round ratios against nginx. */
function porticoGoals(results: ScenarioResult[]): Goal[] {
  const portico = results.find((r) => r.name === PORTICO);
  const nginx = results.find((r) => r.name === NGINX);
  if (!portico || !nginx) return [];
  const rate = medianRatio(portico, nginx, (s) => s.reqPerSec) ?? NaN;
  const cpu = medianRatio(portico, nginx, (s) => s.cpuUsPerReq) ?? NaN;
  const p99 = medianRatio(portico, nginx, (s) => s.p99Ms) ?? NaN;
  return [
    {
      goal: "Portico proxied route: ≥ 40% of nginx's req/s at c=50",
      measured: `${fmtAgainst(rate * 100, 40, 0)}% (${fmt(portico.median.reqPerSec)} vs ${fmt(nginx.median.reqPerSec)} req/s)`,
      pass: rate >= 0.4,
    },
    {
      goal: "Portico proxied route: ≤ 4× nginx's CPU per request",
      measured: `${fmtAgainst(cpu, 4, 2)}× (${fmt(portico.median.cpuUsPerReq, 1)} vs ${fmt(nginx.median.cpuUsPerReq, 1)} µs/req)`,
      pass: cpu <= 4,
    },
    {
      goal: "Portico proxied route: p99 ≤ 2× nginx's p99 at c=50",
      measured: `${fmtAgainst(p99, 2, 2)}× (${fmt(portico.median.p99Ms, 2)} vs ${fmt(nginx.median.p99Ms, 2)} ms)`,
      pass: p99 <= 2,
    },
  ];
}

async function main(): Promise<void> {
  const settings = benchSettings();
  const started: BenchProcess[] = [];
  try {
    const upstream = await startProcess({ name: 'upstream (cpu0)', cpu: LOAD_CPU, command: nodeTs('bench/lib/upstream.ts') });
    started.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${(upstream.info.ports as number[])[0]}`;
    const scenarios: Scenario[] = [];
    for (const def of SCENARIOS) {
      const { process, url } = await def.start(upstreamUrl);
      started.push(process);
      await checkAnswers(def.name, url, (body) => (body.equals(UPSTREAM_BODY) ? undefined : `body differs from the upstream's (${body.length} bytes)`));
      scenarios.push({ name: def.name, url, connections: CONNECTIONS, pid: process.pid });
    }
    const results = await runRounds(scenarios, { ...settings, log: (line) => console.log(line) });
    const nginx = results.find((r) => r.name === NGINX);
    const rows = results.map((r) => {
      const cpuX = nginx ? medianRatio(r, nginx, (s) => s.cpuUsPerReq) : undefined;
      const rateX = nginx ? medianRatio(r, nginx, (s) => s.reqPerSec) : undefined;
      return [
        r.name,
        fmt(r.median.reqPerSec),
        rateX === undefined ? '—' : `${fmt(rateX * 100)}%`,
        fmt(r.median.p50Ms, 2),
        fmt(r.median.p99Ms, 2),
        fmt(r.median.cpuUsPerReq, 1),
        cpuX === undefined ? '—' : `${fmt(cpuX, 1)}×`,
        r.memory ? `${fmt(r.memory.idleMiB)} / ${fmt(r.memory.afterMiB)} / ${fmt(r.memory.peakMiB)}` : '—',
        fmt(r.errors),
      ];
    });
    const goals = porticoGoals(results);
    const machine = machineInfo();
    const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
    const command = `taskset ${wrkArgs({ url: '<url>', connections: CONNECTIONS, durationS: settings.durationS }).join(' ')}`;
    const markdown = [
      '## Reverse-proxy baselines',
      '',
      `Run ${machine.date}; ${settings.rounds} interleaved rounds of \`${command}\` per scenario after a ${settings.warmupS} s warm-up; ` +
        `upstream and wrk on cpu0, the system under test alone on cpu1; GET of a ${UPSTREAM_BODY.length}-byte JSON body. ` +
        `Medians; ratios are medians of per-round ratios. Highest steal seen in a run: ${fmt(steal, 1)}%; widest round-to-round spread of one scenario: req/s ${fmt(widestSpreadPercent(results, (s) => s.reqPerSec))}%, CPU µs/req ${fmt(widestSpreadPercent(results, (s) => s.cpuUsPerReq))}%.`,
      '',
      markdownTable(['scenario', 'req/s', '% of nginx req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU × nginx', 'RSS MiB idle / after / peak', 'errors'], rows),
      '',
      'nginx is capped by the shared cpu0 (wrk and the upstream), so "% of nginx req/s" flatters Node proxies: compare CPU per request.',
      `The Portico row is one BFF process built by createBff (the compiled @portico/gateway) from a routing map with one proxied GET route ` +
        '(`policy: { auth: none }`: no rate limit, no cache). Such a route is a direct route (libs/gateway/src/proxy/direct-route.ts): ' +
        'served in front of the Koa app with the request guards, request id, path normalisation and routing, the streaming proxy, ' +
        'problem+json faults, request metrics and the access line (serialised, then dropped), but no Koa context or middleware layers; ' +
        'no auth or rate-limit work.',
      '',
      "Issue 3's goals for the Portico proxied route (medians of per-round ratios against nginx):",
      '',
      ...goalLines(goals),
      '',
      '![reverse-proxy baselines](benchmarks/proxy-baselines.svg)',
      '',
    ].join('\n');
    const svg = resultsChartSvg('Reverse-proxy baselines, c=50', results);
    publishSection('proxy-baselines', { markdown, svg, json: { machine, settings, command, goals, results } });
  } finally {
    await stopAll(started);
  }
}

runMain(main);
