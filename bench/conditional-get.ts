/**
 * Validators and 304: what `policy.etag` costs on a 200 and what a revalidation saves. One BFF (createBff) serving the
 * same ~4.5 KB JSON answer of one upstream on four routes through the Koa chain: without and with `etag`, and both
 * again behind the response cache. Clients either send no validator or the current ETag. CPU per request, throughput
 * and bytes on the wire. Writes docs/benchmarks/conditional-get.{md,svg,json}.
 */
import { request } from 'undici';
import { upstreamBody } from './lib/upstream';
import { startBffOverUpstream, stopAll, runMain, type BenchProcess } from './lib/processes';
import { benchSettings, fmt, machineInfo, markdownTable, resultsChartSvg, publishSection } from './lib/report';
import { medianRatio, runRounds, widestSpreadPercent, type Scenario, type ScenarioResult } from './lib/rounds';
import { wrkArgs } from './lib/wrk';

const CONNECTIONS = 50;
const ITEMS = 60;
const BODY = upstreamBody(ITEMS);

// Every route runs the Koa chain (a route without edge functions would be a direct one): `compress` with a threshold
// no answer reaches, as the compression suite's baseline, costs the same on all four.
const route = (id: string, policy: string) => `  - id: ${id}
    method: GET
    path: /${id}/:orderId
    upstream: \${UPSTREAM_URL}/orders/:orderId
    policy: { auth: none, compress: { minBytes: 1GiB }${policy} }`;
const ROUTES = [
  'routes:',
  route('plain', ''),
  route('validated', ', etag: true'),
  route('cached', ', cache: { ttl: 10m, public: true }'),
  route('cached-validated', ', etag: true, cache: { ttl: 10m, public: true }'),
].join('\n');

const BASELINE = 'no etag, proxied (baseline)';
const VALIDATED = 'etag, proxied, no If-None-Match (200)';
const REVALIDATED = 'etag, proxied, current If-None-Match (304)';
const CACHED = 'no etag, cache hit (200)';
const CACHED_VALIDATED = 'etag, cache hit, no If-None-Match (200)';
const CACHED_REVALIDATED = 'etag, cache hit, current If-None-Match (304)';

/** GETs `url` once and checks the answer: its status, the body for a 200, none for a 304; returns its ETag and body bytes. */
async function probe(name: string, url: string, headers: Record<string, string>, status: 200 | 304): Promise<{ etag?: string; bytes: number }> {
  const res = await request(url, { headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== status) throw new Error(`${name}: expected ${status}, got ${res.statusCode}`);
  if (status === 200 && !body.equals(BODY)) throw new Error(`${name}: the body differs from the upstream's`);
  if (status === 304 && body.length > 0) throw new Error(`${name}: a 304 came with a body`);
  const etag = res.headers.etag;
  return { etag: typeof etag === 'string' ? etag : undefined, bytes: body.length };
}

async function main(): Promise<void> {
  const settings = benchSettings();
  const started: BenchProcess[] = [];
  try {
    const { bff, base } = await startBffOverUpstream(ROUTES, ITEMS, started);
    const url = (id: string) => `${base}/${id}/1`;

    // The validators clients would hold, read once; the cached routes are filled by these first reads too.
    const plain = await probe(BASELINE, url('plain'), {}, 200);
    if (plain.etag !== undefined) throw new Error(`${BASELINE}: the upstream's answer unexpectedly has an ETag`);
    const etag = (await probe(VALIDATED, url('validated'), {}, 200)).etag;
    if (!etag?.startsWith('W/"')) throw new Error(`${VALIDATED}: expected a weak ETag, got ${etag}`);
    await probe(CACHED, url('cached'), {}, 200);
    await probe(CACHED_VALIDATED, url('cached-validated'), {}, 200);
    const current = { 'if-none-match': etag };
    const scenarios: Scenario[] = [
      { name: BASELINE, url: url('plain'), connections: CONNECTIONS, pid: bff.pid },
      { name: VALIDATED, url: url('validated'), connections: CONNECTIONS, pid: bff.pid },
      { name: REVALIDATED, url: url('validated'), connections: CONNECTIONS, pid: bff.pid, headers: current },
      { name: CACHED, url: url('cached'), connections: CONNECTIONS, pid: bff.pid },
      { name: CACHED_VALIDATED, url: url('cached-validated'), connections: CONNECTIONS, pid: bff.pid },
      { name: CACHED_REVALIDATED, url: url('cached-validated'), connections: CONNECTIONS, pid: bff.pid, headers: current },
    ];
    const bytes = new Map<string, number>();
    for (const s of scenarios) bytes.set(s.name, (await probe(s.name, s.url, s.headers ?? {}, s.headers ? 304 : 200)).bytes);

    const results = await runRounds(scenarios, { ...settings, log: (line) => console.log(line) });
    const by = (name: string): ScenarioResult => results.find((r) => r.name === name)!;
    const cpuRatio = (a: string, b: string) => medianRatio(by(a), by(b), (s) => s.cpuUsPerReq);
    const rows = results.map((r) => [
      r.name,
      fmt(bytes.get(r.name)),
      fmt(r.median.reqPerSec),
      fmt(r.median.p50Ms, 2),
      fmt(r.median.p99Ms, 2),
      fmt(r.median.cpuUsPerReq, 1),
      `${fmt(medianRatio(r, by(BASELINE), (s) => s.cpuUsPerReq), 2)}×`,
      fmt(r.errors),
    ]);
    const machine = machineInfo();
    const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
    const command = `taskset ${wrkArgs({ url: '<url>', connections: CONNECTIONS, durationS: settings.durationS }).join(' ')} (with -H 'if-none-match: <ETag>' for the 304 rows)`;
    const summary = {
      validatedCpu: cpuRatio(VALIDATED, BASELINE),
      revalidatedCpu: cpuRatio(REVALIDATED, BASELINE),
      cachedValidatedCpu: cpuRatio(CACHED_VALIDATED, CACHED),
      cachedRevalidatedCpu: cpuRatio(CACHED_REVALIDATED, CACHED),
    };
    const markdown = [
      '## Validators and 304: what `policy.etag` costs and saves',
      '',
      `Run ${machine.date}; ${settings.rounds} interleaved rounds of \`${command}\` per scenario after a ${settings.warmupS} s warm-up. ` +
        `One BFF process built by createBff alone on cpu1, one upstream answering a ${fmt(BODY.length)}-byte JSON body (an order with ${ITEMS} line items) ` +
        'on cpu0 with wrk. Four routes through the same Koa chain (`compress` on with a threshold no answer reaches): without and with `etag: true`, and both behind ' +
        'the response cache (every request a hit after the first). The revalidating client sends the ETag it was given. Bytes are the body of one answer. ' +
        'Medians; ratios are medians of per-round ratios.',
      '',
      markdownTable(['scenario', 'body bytes', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU × baseline', 'errors'], rows),
      '',
      `Proxied: a 200 with its ETag costs **${fmt(summary.validatedCpu, 2)}×** the baseline's CPU, a 304 **${fmt(summary.revalidatedCpu, 2)}×** ` +
        `(the upstream is still called; the client gets no body). From the cache: **${fmt(summary.cachedValidatedCpu, 2)}×** and ` +
        `**${fmt(summary.cachedRevalidatedCpu, 2)}×** a cache hit without \`etag\` (the ETag is stored with the entry, so a hit is not hashed again).`,
      '',
      `Highest steal seen in a run: ${fmt(steal, 1)}%; widest round-to-round spread of one scenario: req/s ${fmt(widestSpreadPercent(results, (s) => s.reqPerSec))}%, ` +
        `CPU µs/req ${fmt(widestSpreadPercent(results, (s) => s.cpuUsPerReq))}%.`,
      '',
      '![validators and 304](benchmarks/conditional-get.svg)',
      '',
    ].join('\n');
    const svg = resultsChartSvg('Validators and 304', results);
    publishSection('conditional-get', { markdown, svg, json: { machine, settings, command, bodyBytes: BODY.length, bodyBytesOnWire: Object.fromEntries(bytes), summary, results } });
  } finally {
    await stopAll(started);
  }
}

runMain(main);
