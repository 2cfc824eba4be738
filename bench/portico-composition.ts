/**
 * Portico composition: one BFF (createBff) with a declarative `compose:` route over four upstreams (10 ms each) and a
 * proxied route to one of them. At c=50 (wrk) the composed request against the single call, and against the smallest
 * undici composition (bench/servers/compose-undici.ts) as the same-run baseline of what four parallel calls cost on
 * this machine; at c=1 (the load client) the composed request against a client making the four calls one after
 * another. Checks the composition goals: composed p50 ≤ 1.3× the single call's at c=50, composed ≤ sequential at c=1.
 * Writes docs/benchmarks/portico-composition.{md,svg,json}.
 */
import { checkAnswers } from './lib/check';
import { runClientRounds, startLoadClient, type ClientScenario, type LoadClient } from './lib/client-rounds';
import { fmtAgainst, goalLines, type Goal } from './lib/goals';
import { nodeTs, startProcess, stopAll, runMain, type BenchProcess } from './lib/processes';
import { benchSettings, fmt, machineInfo, markdownTable, resultsChartSvg, publishSection } from './lib/report';
import { medianRatio, runRounds, widestSpreadPercent, type Scenario, type ScenarioResult } from './lib/rounds';
import { UPSTREAM_BODY } from './lib/upstream';
import { wrkArgs } from './lib/wrk';

const UPSTREAM_LATENCY_MS = 10;
const CONNECTIONS = 50;
const PARTS = [
  { key: 'order', upstream: 'order', variable: 'ORDER_SERVICE_URL', path: '/orders/:orderId' },
  { key: 'ticket', upstream: 'kitchen', variable: 'KITCHEN_SERVICE_URL', path: '/tickets/:orderId' },
  { key: 'delivery', upstream: 'delivery', variable: 'DELIVERY_SERVICE_URL', path: '/deliveries/:orderId' },
  { key: 'bill', upstream: 'accounting', variable: 'ACCOUNTING_SERVICE_URL', path: '/bills/:orderId' },
] as const;

/** The routing map: the composed route (order required, the rest optional, all fields kept) and the single proxied call. */
const ROUTES = `routes:
  - id: get-order-details
    method: GET
    path: /order-details/:orderId
    compose:
      parts:
${PARTS.map((p, i) => `        - { key: ${p.key}, upstream: ${p.upstream}, path: '${p.path}', required: ${i === 0} }`).join('\n')}
    policy: { auth: none }
  - id: get-order
    method: GET
    path: /orders/:orderId
    upstream: \${ORDER_SERVICE_URL}/orders/:orderId
    policy: { auth: none }
`;

const SINGLE = 'proxied route, one upstream call (c=50)';
const COMPOSED = 'compose route, four parallel calls (c=50)';
const MINIMAL = 'baseline: node:http + undici Pools, four parallel calls (c=50)';
const COMPOSED_C1 = 'compose route, four parallel calls (c=1)';
const SEQUENTIAL = 'client, four sequential calls (c=1)';

function verifyComposed(body: Buffer): string | undefined {
  const parsed = JSON.parse(body.toString()) as Record<string, { id?: string }>;
  const missing = PARTS.filter((part) => parsed[part.key]?.id !== 'ord-0001').map((p) => p.key);
  return missing.length ? `composed body lacks ${missing.join(', ')}` : undefined;
}

// compose-undici.ts names its parts after the upstreams and calls them in the same order.
function verifyMinimal(body: Buffer): string | undefined {
  const parsed = JSON.parse(body.toString()) as Record<string, { id?: string }>;
  const missing = ['order', 'kitchen', 'delivery', 'bill'].filter((key) => parsed[key]?.id !== 'ord-0001');
  return missing.length ? `baseline body lacks ${missing.join(', ')}` : undefined;
}

const by = (results: ScenarioResult[], name: string): ScenarioResult => results.find((r) => r.name === name)!;

/** The share of one core the BFF spent on a scenario: req/s × CPU µs per request. */
const busyPercent = (r: ScenarioResult): string => fmt((r.median.reqPerSec * (r.median.cpuUsPerReq ?? NaN)) / 10_000);

function compositionGoals(results: ScenarioResult[]): Goal[] {
  const named = (name: string) => by(results, name);
  const parallel = medianRatio(named(COMPOSED), named(SINGLE), (s) => s.p50Ms) ?? NaN;
  const sequential = medianRatio(named(COMPOSED_C1), named(SEQUENTIAL), (s) => s.p50Ms) ?? NaN;
  return [
    {
      goal: "composition: a composed request's p50 ≤ 1.3× a single upstream call's p50 at c=50",
      measured: `${fmtAgainst(parallel, 1.3, 2)}× (${fmt(named(COMPOSED).median.p50Ms, 2)} vs ${fmt(named(SINGLE).median.p50Ms, 2)} ms)`,
      pass: parallel <= 1.3,
    },
    {
      goal: 'composition: a composed request ≤ the same four calls made one after another by the client at c=1 (p50)',
      measured: `${fmt(sequential, 2)}× (${fmt(named(COMPOSED_C1).median.p50Ms, 2)} vs ${fmt(named(SEQUENTIAL).median.p50Ms, 2)} ms)`,
      pass: sequential <= 1,
    },
  ];
}

async function main(): Promise<void> {
  const settings = benchSettings();
  const started: BenchProcess[] = [];
  let client: LoadClient | undefined;
  try {
    const upstream = await startProcess({
      name: 'upstreams (cpu0)',
      cpu: 0,
      command: nodeTs('bench/lib/upstream.ts'),
      env: { UPSTREAM_COUNT: String(PARTS.length), UPSTREAM_LATENCY_MS: String(UPSTREAM_LATENCY_MS) },
    });
    started.push(upstream);
    const origins = (upstream.info.ports as number[]).map((p) => `http://127.0.0.1:${p}`);
    const bff = await startProcess({
      name: 'portico-bff (cpu1)',
      cpu: 1,
      command: nodeTs('bench/servers/portico-bff.ts'),
      env: {
        BENCH_ROUTES: ROUTES,
        BENCH_UPSTREAMS: JSON.stringify(Object.fromEntries(PARTS.map((p) => [p.upstream, p.variable]))),
        ...Object.fromEntries(PARTS.map((p, i) => [p.variable, origins[i]!])),
      },
      timeoutMs: 60_000,
    });
    started.push(bff);
    const minimal = await startProcess({
      name: 'compose-undici (cpu1)',
      cpu: 1,
      command: nodeTs('bench/servers/compose-undici.ts'),
      env: { UPSTREAM_URLS: origins.join(',') },
    });
    started.push(minimal);
    client = await startLoadClient(0);
    const base = `http://127.0.0.1:${Number(bff.info.port)}`;
    const composedUrl = `${base}/order-details/ord-0001`;
    const singleUrl = `${base}/orders/ord-0001`;
    await checkAnswers(COMPOSED, composedUrl, verifyComposed);
    const minimalUrl = `http://127.0.0.1:${Number(minimal.info.port)}/parallel`;
    await checkAnswers(MINIMAL, minimalUrl, verifyMinimal);
    await checkAnswers(SINGLE, singleUrl, (body) => (body.equals(UPSTREAM_BODY) ? undefined : `body differs (${body.length} bytes)`));

    const log = (line: string) => console.log(line);
    const loaded: Scenario[] = [
      { name: SINGLE, url: singleUrl, connections: CONNECTIONS, pid: bff.pid },
      { name: COMPOSED, url: composedUrl, connections: CONNECTIONS, pid: bff.pid },
      { name: MINIMAL, url: minimalUrl, connections: CONNECTIONS, pid: minimal.pid },
    ];
    const atFifty = await runRounds(loaded, { ...settings, log });
    const sequentialSteps = PARTS.map((p, i) => ({ url: `${origins[i]!}${p.path.replace(':orderId', 'ord-0001')}` }));
    const seconds = (round: number) => (round === 0 ? settings.warmupS : settings.durationS);
    const latency: ClientScenario[] = [
      { name: COMPOSED_C1, connections: 1, pid: bff.pid, spec: (round) => ({ steps: [{ url: composedUrl }], connections: 1, durationS: seconds(round) }) },
      { name: SEQUENTIAL, connections: 1, spec: (round) => ({ steps: sequentialSteps, connections: 1, durationS: seconds(round) }) },
    ];
    const atOne = await runClientRounds(client, latency, { rounds: settings.rounds, warmup: true, log });
    const results = [...atFifty, ...atOne];
    const goals = compositionGoals(results);
    const baseline = {
      // Per composed request, Portico's route against code that does nothing but the four calls and the merge.
      cpuRatio: medianRatio(by(results, COMPOSED), by(results, MINIMAL), (s) => s.cpuUsPerReq) ?? NaN,
      // The goal's own ratio, for that baseline: what four parallel calls cost in latency on this machine in this run.
      p50Ratio: medianRatio(by(results, MINIMAL), by(results, SINGLE), (s) => s.p50Ms) ?? NaN,
    };
    const rows = results.map((r) => [
      r.name,
      fmt(r.median.reqPerSec),
      fmt(r.median.p50Ms, 2),
      fmt(r.median.p99Ms, 2),
      // At c=1 the BFF mostly waits on the 10 ms upstreams: CPU per request there is idle cost, not work.
      r.connections > 1 ? fmt(r.median.cpuUsPerReq, 1) : '—',
      fmt(r.errors),
    ]);
    const machine = machineInfo();
    const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
    const command = `taskset ${wrkArgs({ url: '<url>', connections: CONNECTIONS, durationS: settings.durationS }).join(' ')}`;
    const markdown = [
      '## Portico composition: a compose route against one call and against sequential calls',
      '',
      `Run ${machine.date}. One BFF process built by createBff (the compiled @portico/gateway) alone on cpu1, with a declarative \`compose:\` route ` +
        `over four upstreams (order required, ticket, delivery and bill optional, every field kept) and a proxied route to the first of them; ` +
        `the four upstreams are minimal node:http servers answering the same ${UPSTREAM_BODY.length}-byte JSON after ${UPSTREAM_LATENCY_MS} ms, ` +
        'in one process on cpu0 with the load generators. No auth, rate limit or cache on either route, so both are direct routes (served without the Koa stack, docs/decisions/0004); access lines serialised, then dropped.',
      '',
      `- c=50: ${settings.rounds} interleaved rounds of \`${command}\` per route after a ${settings.warmupS} s warm-up.`,
      `- c=1: ${settings.rounds} interleaved rounds of ${settings.durationS} s with bench/servers/load-client.ts (one warm Node process on cpu0, ` +
        'keep-alive undici connections, closed loop) after a warm-up: either one GET of the compose route, or the same four upstream GETs made one after ' +
        'another on loopback (an operation is timed from its first request to its last answer, so req/s there is operations/s).',
      '',
      markdownTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'BFF CPU µs/req', 'errors'], rows),
      '',
      ...goalLines(goals),
      '',
      `Against the same-run baseline (bench/servers/compose-undici.ts: node:http, one undici Pool per upstream, \`Promise.all\` of four ` +
        `\`request\`s, \`body.json()\`, \`JSON.stringify\` of the merge; no deadline, breaker, retry, partial answers or access line): ` +
        `Portico's compose route spends **${fmt(baseline.cpuRatio, 2)}×** its CPU per composed request, and the baseline's own p50 is ` +
        `**${fmt(baseline.p50Ratio, 2)}×** the single call's, the ratio the first goal asks of Portico.`,
      '',
      `Ratios are medians of per-round ratios. CPU µs/req is the BFF's per request (a composed request is five HTTP exchanges: one in, four out). ` +
        `Highest steal seen in a run: ${fmt(steal, 1)}%; widest round-to-round spread of one c=50 scenario: req/s ${fmt(widestSpreadPercent(atFifty, (s) => s.reqPerSec))}%, ` +
        `p50 ${fmt(widestSpreadPercent(atFifty, (s) => s.p50Ms))}%, CPU µs/req ${fmt(widestSpreadPercent(atFifty, (s) => s.cpuUsPerReq))}%.`,
      '',
      `What bounds each c=50 row: the single call waits on the upstream's ${UPSTREAM_LATENCY_MS} ms (at most ${fmt((CONNECTIONS * 1000) / UPSTREAM_LATENCY_MS)} req/s at ` +
        `${CONNECTIONS} connections) with the BFF's core ${busyPercent(by(results, SINGLE))}% busy; the composed request keeps it ${busyPercent(by(results, COMPOSED))}% busy ` +
        '(req/s × CPU µs/req), the baseline ' + busyPercent(by(results, MINIMAL)) + '%. Once the core is saturated, p50 is connections ÷ req/s, so the p50 ratio measures the composed request\'s CPU cost more than its ' +
        'parallelism, and it moves with how fast this shared machine runs during the run; the c=1 rows show the latency of the fan-out itself.',
      '',
      '![Portico composition](benchmarks/portico-composition.svg)',
      '',
    ].join('\n');
    const svg = resultsChartSvg('Portico composition', results);
    publishSection('portico-composition', { markdown, svg, json: { machine, settings, command, goals, baseline, results } });
  } finally {
    await client?.stop();
    await stopAll(started);
  }
}

runMain(main);
