/**
 * Compression cost: one BFF (createBff) serving the same ~4.5 KB JSON answer of one upstream on four routes: a direct
 * route (no edge functions), the same route through the Koa chain with `compress` on but a threshold no answer reaches
 * (the baseline: same chain, nothing compressed), and with `compress: true` to clients accepting gzip or brotli.
 * CPU per request, throughput and bytes on the wire. Writes docs/benchmarks/compression.{md,svg,json}.
 */
import { request } from 'undici';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { upstreamBody } from './lib/upstream';
import { startBffOverUpstream, stopAll, runMain, type BenchProcess } from './lib/processes';
import { benchSettings, fmt, machineInfo, markdownTable, resultsChartSvg, publishSection } from './lib/report';
import { medianRatio, runRounds, widestSpreadPercent, type Scenario } from './lib/rounds';
import { wrkArgs } from './lib/wrk';

const CONNECTIONS = 50;
const ITEMS = 60;
const BODY = upstreamBody(ITEMS);

const route = (id: string, policy: string) => `  - id: ${id}
    method: GET
    path: /${id}/:orderId
    upstream: \${UPSTREAM_URL}/orders/:orderId
    policy: ${policy}`;
const ROUTES = ['routes:', route('direct', '{ auth: none }'), route('chain', '{ auth: none, compress: { minBytes: 1GiB } }'), route('compressed', '{ auth: none, compress: true }')].join('\n');

const DIRECT = 'direct route, not compressed';
const BASELINE = 'compress on, below threshold (baseline)';
const GZIP = 'compress on, Accept-Encoding: gzip';
const BROTLI = 'compress on, Accept-Encoding: br';

/** GETs `url` once and checks the answer decodes to the upstream's body; returns the bytes on the wire. */
async function wireBytes(name: string, url: string, acceptEncoding: string | undefined, expected: string | undefined): Promise<number> {
  const res = await request(url, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} });
  const body = Buffer.from(await res.body.arrayBuffer());
  const encoding = res.headers['content-encoding'];
  if (res.statusCode !== 200 || encoding !== expected) throw new Error(`${name}: expected 200 with Content-Encoding ${expected}, got ${res.statusCode} with ${encoding}`);
  const decoded = encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body;
  if (!decoded.equals(BODY)) throw new Error(`${name}: the decoded body differs from the upstream's`);
  return body.length;
}

async function main(): Promise<void> {
  const settings = benchSettings();
  const started: BenchProcess[] = [];
  try {
    const { bff, base } = await startBffOverUpstream(ROUTES, ITEMS, started);
    const scenarios: Array<Scenario & { encoding?: string; expected?: string }> = [
      { name: DIRECT, url: `${base}/direct/1`, connections: CONNECTIONS, pid: bff.pid, headers: { 'accept-encoding': 'gzip, br' } },
      { name: BASELINE, url: `${base}/chain/1`, connections: CONNECTIONS, pid: bff.pid, headers: { 'accept-encoding': 'gzip, br' } },
      { name: GZIP, url: `${base}/compressed/1`, connections: CONNECTIONS, pid: bff.pid, headers: { 'accept-encoding': 'gzip' }, expected: 'gzip' },
      { name: BROTLI, url: `${base}/compressed/1`, connections: CONNECTIONS, pid: bff.pid, headers: { 'accept-encoding': 'br' }, expected: 'br' },
    ];
    const bytes = new Map<string, number>();
    for (const s of scenarios) bytes.set(s.name, await wireBytes(s.name, s.url, s.headers?.['accept-encoding'], s.expected));

    const results = await runRounds(scenarios, { ...settings, log: (line) => console.log(line) });
    const baseline = results.find((r) => r.name === BASELINE)!;
    const rows = results.map((r) => [
      r.name,
      fmt(bytes.get(r.name)),
      fmt(r.median.reqPerSec),
      fmt(r.median.p50Ms, 2),
      fmt(r.median.p99Ms, 2),
      fmt(r.median.cpuUsPerReq, 1),
      `${fmt(medianRatio(r, baseline, (s) => s.cpuUsPerReq), 2)}×`,
      fmt(r.errors),
    ]);
    const machine = machineInfo();
    const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
    const command = `taskset ${wrkArgs({ url: '<url>', connections: CONNECTIONS, durationS: settings.durationS, headers: { 'accept-encoding': '<encoding>' } }).join(' ')}`;
    const markdown = [
      '## Response compression: what `policy.compress` costs per answer',
      '',
      `Run ${machine.date}; ${settings.rounds} interleaved rounds of \`${command}\` per scenario after a ${settings.warmupS} s warm-up. ` +
        `One BFF process built by createBff alone on cpu1 (zlib's thread pool included in its CPU), one upstream answering a ${fmt(BODY.length)}-byte JSON body ` +
        `(an order with ${ITEMS} line items) on cpu0 with wrk. The baseline route runs the same Koa chain with \`compress\` on and a threshold no answer reaches; ` +
        'the direct route has no edge functions at all (docs/decisions/0004). Bytes are one answer as it crosses the wire. Medians; ratios are medians of per-round ratios.',
      '',
      markdownTable(['scenario', 'bytes on the wire', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU × baseline', 'errors'], rows),
      '',
      `Highest steal seen in a run: ${fmt(steal, 1)}%; widest round-to-round spread of one scenario: req/s ${fmt(widestSpreadPercent(results, (s) => s.reqPerSec))}%, ` +
        `CPU µs/req ${fmt(widestSpreadPercent(results, (s) => s.cpuUsPerReq))}%.`,
      '',
      '![response compression](benchmarks/compression.svg)',
      '',
    ].join('\n');
    const svg = resultsChartSvg('Response compression', results);
    publishSection('compression', { markdown, svg, json: { machine, settings, command, bodyBytes: BODY.length, wireBytes: Object.fromEntries(bytes), results } });
  } finally {
    await stopAll(started);
  }
}

runMain(main);
