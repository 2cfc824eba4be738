/**
 * Edge-stack cost: the same GET /orders/:orderId route (a pre-serialised ~1 KB body, no upstream) served bare and with
 * Portico's full edge stack — RS256 JWT from a loopback JWKS, scope check, Redis rate limit, request id and access log,
 * problem+json, metrics, and tracing off or exported over OTLP/HTTP — in one interleaved run. The goal it checks: the
 * full stack keeps ≥ 70% of the bare route's req/s at 50 connections. Writes docs/benchmarks/edge-stack.{md,svg,json}
 * unless run with --print-only or --cpu-prof=<dir>. BENCH_EDGE_BASELINE=<dir> (a copy of an earlier tree holding bench/ and
 * libs/edge/src) adds that tree's full stack, tracing off and on, to the same rounds and only prints. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); keys go under a per-run prefix
 * and are deleted at the end.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { checkAnswers } from './lib/check';
import { startIssuer, type BenchIssuer } from './lib/issuer';
import { startOtlpSink, type OtlpSink } from './lib/otlp-sink';
import { nodeTs, startProcess, runMain, type BenchProcess } from './lib/processes';
import { benchSettings, fmt, machineInfo, markdownTable, writeSection, resultsChartSvg } from './lib/report';
import { medianRatio, runRounds, widestSpreadPercent, type Scenario, type ScenarioResult } from './lib/rounds';
import { UPSTREAM_BODY } from './lib/upstream';
import { wrkArgs } from './lib/wrk';

const CONNECTIONS = 50;
const SUT_CPU = 1;
const LOAD_CPU = 0;
const GOAL = 0.7;
// More distinct tokens than JwtVerifier's verified-token cache holds (10 000): cycling through them in order, every
// request misses the LRU and pays the RS256 signature check (a token comes back only after ≥ 11 000 others).
const ROTATED_TOKENS = 12_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Mode {
  name: string;
  /** bare: Koa and the route; span: the same behind the edge's server span alone; full: the whole edge stack. */
  edge: 'bare' | 'span' | 'full';
  /** off: no OTLP endpoint (the default); otlp: startTelemetry exporting to the sink, every trace or `sampleRatio` of them. */
  telemetry: 'off' | 'otlp';
  sampleRatio?: number;
  /** Every request carries another token (wrk Lua script) instead of one token for the whole run. */
  rotateTokens?: boolean;
  /** The terminal fetches the body from the upstream on cpu0 instead of answering it itself. */
  proxied?: boolean;
  /** Run the app from this earlier tree instead of this one (BENCH_EDGE_BASELINE), for before/after in one run. */
  root?: string;
  /** TRACE_CONTEXT=async-local-storage instead of the default, explicit. */
  asyncLocalStorage?: boolean;
}

const BARE = 'bare Koa route';
const BARE_PROXIED = 'bare Koa route, proxied';
// HEADLINE is the figure the goal is judged on: the whole stack the issue names, tracing included, every trace exported.
const HEADLINE = 'full edge stack + tracing (OTLP)';
// The tracing floor: the bare route behind the server span alone, every trace exported; no edge function runs.
const SPAN_ONLY = 'bare route + server span only (OTLP)';
const MODES: Mode[] = [
  { name: BARE, edge: 'bare', telemetry: 'off' },
  { name: SPAN_ONLY, edge: 'span', telemetry: 'otlp' },
  { name: 'full edge stack, tracing off', edge: 'full', telemetry: 'off' },
  { name: HEADLINE, edge: 'full', telemetry: 'otlp' },
  { name: 'full + tracing, 10% of traces sampled', edge: 'full', telemetry: 'otlp', sampleRatio: 0.1 },
  { name: 'full + tracing, TRACE_CONTEXT=async-local-storage', edge: 'full', telemetry: 'otlp', asyncLocalStorage: true },
  { name: 'full + tracing, 10% sampled, async-local-storage', edge: 'full', telemetry: 'otlp', sampleRatio: 0.1, asyncLocalStorage: true },
  { name: 'full + tracing, new token per request', edge: 'full', telemetry: 'otlp', rotateTokens: true },
  { name: BARE_PROXIED, edge: 'bare', telemetry: 'off', proxied: true },
  { name: 'full edge stack, tracing off, proxied', edge: 'full', telemetry: 'off', proxied: true },
  { name: 'full + tracing (OTLP), proxied', edge: 'full', telemetry: 'otlp', proxied: true },
];
const BASELINE_ROOT = process.env.BENCH_EDGE_BASELINE;
if (BASELINE_ROOT) {
  MODES.splice(2, 0, { name: 'full edge stack, tracing off (baseline tree)', edge: 'full', telemetry: 'off', root: BASELINE_ROOT });
  MODES.splice(4, 0, { name: `${HEADLINE} (baseline tree)`, edge: 'full', telemetry: 'otlp', root: BASELINE_ROOT });
}

/** The scenario a mode is compared with: the bare route with the same terminal. */
const baselineOf = (mode: Mode | undefined): string => (mode?.proxied ? BARE_PROXIED : BARE);

/** The sum of every sample of `name` in a Prometheus text exposition whose labels contain `labelFilter`. */
function metricSum(text: string, name: string, labelFilter = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? ([\d.eE+-]+)$/.exec(line);
    if (match?.[1] === name && (match[2] ?? '').includes(labelFilter)) sum += Number(match[3]);
  }
  return sum;
}

async function expectStatus(name: string, url: string, headers: Record<string, string>, status: number, contentType: string): Promise<void> {
  const res = await request(url, { headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
  await res.body.dump();
  if (res.statusCode !== status) throw new Error(`${name}: expected ${status} from ${url} with ${Object.keys(headers).join(', ') || 'no credentials'}, got ${res.statusCode}`);
  if (!String(res.headers['content-type']).startsWith(contentType)) throw new Error(`${name}: expected ${contentType} with ${status}, got ${res.headers['content-type']}`);
}

// The pre-load check: the full stack refuses a missing token (401) and a token without the scope (403), admits a valid one.
async function checkFull(name: string, url: string, issuer: BenchIssuer, token: string): Promise<void> {
  await expectStatus(name, url, {}, 401, 'application/problem+json');
  await expectStatus(name, url, { authorization: `Bearer ${issuer.sign('consumer-1', 'orders:write')}` }, 403, 'application/problem+json');
  const res = await request(url, { headers: { authorization: `Bearer ${token}` } });
  await res.body.dump();
  if (!res.headers['ratelimit']) throw new Error(`${name}: the admitted request carries no RateLimit header`);
}

function writeRotatingScript(dir: string, issuer: BenchIssuer): string {
  const tokensFile = join(dir, 'tokens.txt');
  const offsetFile = join(dir, 'offset.txt');
  const tokens = Array.from({ length: ROTATED_TOKENS }, (_, i) => issuer.sign(`consumer-${i + 2}`, 'orders:read'));
  writeFileSync(tokensFile, `${tokens.join('\n')}\n`);
  const script = join(dir, 'rotate-tokens.lua');
  // Each wrk run starts a new Lua state: the position is saved every 1 000 requests, 1 000 ahead of it, so the next run
  // resumes past every token the last one sent and the cycle (and with it the cache miss) continues across runs.
  writeFileSync(
    script,
    [
      '-- Sends the next token of the list with every request, wrapping around at the end.',
      'local tokens = {}',
      `for line in io.lines("${tokensFile}") do tokens[#tokens + 1] = "Bearer " .. line end`,
      'local i = 0',
      `local saved = io.open("${offsetFile}", "r")`,
      'if saved then i = tonumber(saved:read("*l")) or 0; saved:close() end',
      'request = function()',
      '  i = i % #tokens + 1',
      '  if i % 1000 == 0 then',
      `    local f = io.open("${offsetFile}", "w")`,
      '    f:write(tostring(i + 1000))',
      '    f:close()',
      '  end',
      '  wrk.headers["Authorization"] = tokens[i]',
      '  return wrk.format()',
      'end',
      '',
    ].join('\n'),
  );
  return script;
}

async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

async function main(): Promise<void> {
  // --cpu-prof=<dir>: every app writes a V8 CPU profile there on exit. Profiling slows the apps, so nothing is written.
  const profileDir = process.argv.find((arg) => arg.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
  const printOnly = process.argv.includes('--print-only') || profileDir !== undefined || BASELINE_ROOT !== undefined;
  const settings = benchSettings();
  // The suite itself (JWKS issuer, OTLP sink, checks) belongs with the load generator on cpu0, away from the app.
  execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis is unreachable at ${REDIS_URL}: ${(err as Error).message}`);
  }
  const prefix = `portico-bench:${randomBytes(6).toString('hex')}:`;
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-edge-'));
  const issuer = await startIssuer();
  // One sink per traced scenario, so the spans each one exported can be counted.
  const sinks = new Map<string, OtlpSink>();
  const started: Array<{ mode: Mode; process: BenchProcess; url: string }> = [];
  const others: BenchProcess[] = [];
  try {
    const upstream = await startProcess({ name: 'upstream (cpu0)', cpu: LOAD_CPU, command: nodeTs('bench/lib/upstream.ts') });
    others.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${(upstream.info.ports as number[])[0]}`;
    const token = issuer.sign('consumer-1', 'orders:read');
    const script = writeRotatingScript(dir, issuer);
    const auth = { Authorization: `Bearer ${token}` };
    const scenarios: Scenario[] = [];
    for (const mode of MODES) {
      const sink = mode.telemetry === 'otlp' ? await startOtlpSink() : undefined;
      if (sink) sinks.set(mode.name, sink);
      const env: Record<string, string> = {
        BENCH_EDGE_MODE: mode.edge,
        BENCH_TELEMETRY: mode.telemetry,
        ...(sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {}),
        OTEL_TRACES_SAMPLER: mode.sampleRatio === undefined ? 'parentbased_always_on' : 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: String(mode.sampleRatio ?? 1),
        TRACE_CONTEXT: mode.asyncLocalStorage ? 'async-local-storage' : '',
        ...(mode.proxied ? { BENCH_UPSTREAM_URL: upstreamUrl } : {}),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        JWKS_URL: issuer.jwksUrl,
        JWT_ISSUER: issuer.issuer,
        JWT_AUDIENCE: issuer.audience,
      };
      // One directory per mode: tsx's loader thread writes a profile of its own next to the main thread's.
      const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${mode.edge}-${mode.telemetry}${mode.rotateTokens ? '-rotate' : ''}${mode.proxied ? '-proxied' : ''}${mode.root ? '-baseline' : ''}${mode.asyncLocalStorage ? '-als' : ''}`)}`] : [];
      const root = mode.root ?? '.';
      const command = [process.execPath, ...profile, '--import', 'tsx', '--import', pathToFileURL(join(root, 'bench/servers/telemetry-start.ts')).href, join(root, 'bench/servers/edge-stack-app.ts')];
      const app = await startProcess({ name: mode.name, cpu: SUT_CPU, command, env });
      const url = `http://127.0.0.1:${Number(app.info.port)}/orders/ord-0001`;
      started.push({ mode, process: app, url });
      await checkAnswers(mode.name, url, (body) => (body.equals(UPSTREAM_BODY) ? undefined : `body differs (${body.length} bytes)`), auth);
      if (mode.edge === 'full') await checkFull(mode.name, url, issuer, token);
      scenarios.push({ name: mode.name, url, connections: CONNECTIONS, pid: app.pid, ...(mode.rotateTokens ? { script } : { headers: auth }) });
    }
    const keysBefore = await countKeys(redis, `${prefix}rl:*`);
    if (keysBefore === 0) throw new Error(`no rate-limit keys under ${prefix}rl: in Redis after the pre-load check`);
    console.log(`pre-load check passed: 401 without a token, 403 without the scope, 200 with it; ${keysBefore} rate-limit key(s) in Redis`);

    const results = await runRounds(scenarios, { ...settings, log: (line) => console.log(line) });

    const verification: Record<string, Record<string, number>> = {};
    for (const { mode, url } of started.filter((s) => s.mode.edge === 'full')) {
      const text = await (await request(new URL('/metrics', url))).body.text();
      verification[mode.name] = {
        requests2xx: metricSum(text, 'http_requests_total', 'status="200"'),
        requestsOther: metricSum(text, 'http_requests_total') - metricSum(text, 'http_requests_total', 'status="200"'),
        rateLimitAllowed: metricSum(text, 'portico_rate_limit_decisions_total', 'outcome="allowed"'),
        storeFailures: metricSum(text, 'bench_rate_limit_store_failures_total'),
        signatureChecks: metricSum(text, 'bench_jwt_signature_checks'),
        tokenCacheHits: metricSum(text, 'bench_jwt_cache_hits'),
      };
    }
    const keysAfter = await countKeys(redis, `${prefix}rl:*`);
    // The BatchSpanProcessor exports what is left in its queue after at most its schedule delay (5 s by default).
    if (sinks.size > 0) await sleep(6_000);
    const traces = [...sinks].map(([name, sink]) => ({ name, spans: sink.spans(), exports: sink.exports(), answered: answeredBy(verification[name]), measured: sum(results.find((r) => r.name === name)?.samples.map((x) => x.requests) ?? []) }));
    const markdown = report(results, settings, verification, { keysAfter, traces, tokenHeaderBytes: auth.Authorization.length });
    if (!printOnly) {
      const svg = resultsChartSvg('Edge-stack cost, c=50', results);
      writeSection('edge-stack', { markdown, svg, json: { machine: machineInfo(), settings, results, verification, redisKeys: keysAfter, traces } });
    }
    console.log(markdown);
  } finally {
    for (const p of [...started.map((s) => s.process), ...others].reverse()) await p.stop();
    const deleted = await deleteKeys(redis, `${prefix}*`).catch(() => 0);
    console.log(`deleted ${deleted} Redis key(s) under ${prefix}`);
    redis.disconnect();
    issuer.close();
    for (const sink of sinks.values()) sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Requests a full app answered, from its /metrics; undefined for an app that has none. */
const answeredBy = (v: Record<string, number> | undefined): number | undefined => (v ? (v.requests2xx ?? 0) + (v.requestsOther ?? 0) : undefined);
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** What one traced scenario's sink received, and the requests to set it against. */
interface TraceCount {
  name: string;
  spans: number;
  exports: number;
  /** Every request the app answered (warm-up and checks included), where its /metrics says. */
  answered: number | undefined;
  /** The requests of the measured rounds alone, as wrk counted them. */
  measured: number;
}

function report(
  results: ScenarioResult[],
  settings: ReturnType<typeof benchSettings>,
  verification: Record<string, Record<string, number>>,
  facts: { keysAfter: number; traces: TraceCount[]; tokenHeaderBytes: number },
): string {
  const byName = (name: string) => results.find((r) => r.name === name)!;
  const bare = byName(BARE);
  const headline = byName(HEADLINE);
  const rows = results.map((r) => {
    const base = byName(baselineOf(MODES.find((m) => m.name === r.name)));
    const share = medianRatio(r, base, (s) => s.reqPerSec);
    const cpuX = medianRatio(r, base, (s) => s.cpuUsPerReq);
    const extra = (r.median.cpuUsPerReq ?? NaN) - (base.median.cpuUsPerReq ?? NaN);
    return [
      r.name,
      fmt(r.median.reqPerSec),
      r === base ? '100%' : `${fmt((share ?? NaN) * 100)}%`,
      fmt(r.median.p50Ms, 2),
      fmt(r.median.p99Ms, 2),
      fmt(r.median.cpuUsPerReq, 1),
      r === base ? '—' : `+${fmt(extra, 1)}`,
      r === base ? '1.00×' : `${fmt(cpuX, 2)}×`,
      r.memory ? `${fmt(r.memory.idleMiB)} / ${fmt(r.memory.afterMiB)} / ${fmt(r.memory.peakMiB)}` : '—',
      fmt(r.errors),
    ];
  });
  const share = medianRatio(headline, bare, (s) => s.reqPerSec) ?? NaN;
  const cpuX = medianRatio(headline, bare, (s) => s.cpuUsPerReq) ?? NaN;
  const proxied = byName('full + tracing (OTLP), proxied');
  const proxiedShare = medianRatio(proxied, byName(BARE_PROXIED), (s) => s.reqPerSec) ?? NaN;
  const proxiedOffShare = medianRatio(byName('full edge stack, tracing off, proxied'), byName(BARE_PROXIED), (s) => s.reqPerSec) ?? NaN;
  const offShare = medianRatio(byName('full edge stack, tracing off'), bare, (s) => s.reqPerSec) ?? NaN;
  const spanOnly = byName(SPAN_ONLY);
  const spanShare = medianRatio(spanOnly, bare, (s) => s.reqPerSec) ?? NaN;
  const spanExtra = (spanOnly.median.cpuUsPerReq ?? NaN) - (bare.median.cpuUsPerReq ?? NaN);
  const offExtra = (byName('full edge stack, tracing off').median.cpuUsPerReq ?? NaN) - (bare.median.cpuUsPerReq ?? NaN);
  // The CPU per request the whole stack may add and still keep GOAL of the bare route's req/s (CPU-bound on one core).
  const budget = (bare.median.cpuUsPerReq ?? NaN) * (1 / GOAL - 1);
  const sampledShare = medianRatio(byName('full + tracing, 10% of traces sampled'), bare, (s) => s.reqPerSec) ?? NaN;
  const sampledAlsShare = medianRatio(byName('full + tracing, 10% sampled, async-local-storage'), bare, (s) => s.reqPerSec) ?? NaN;
  const steal = Math.max(...results.flatMap((r) => r.samples.map((s) => s.stealPercent)));
  const shape = wrkArgs({ url: '<url>', connections: CONNECTIONS, durationS: settings.durationS }).slice(0, -1).join(' ');
  const checks = Object.entries(verification).map(
    ([name, v]) =>
      `${name}: ${fmt(v.requests2xx)} answered 200 (${fmt(v.requestsOther)} other), ${fmt(v.rateLimitAllowed)} Redis rate-limit decisions admitted, ` +
      `${fmt(v.storeFailures)} store failures, ${fmt(v.signatureChecks)} JWT signatures verified, ${fmt(v.tokenCacheHits)} verified-token cache hits`,
  );
  return [
    '## Edge-stack cost',
    '',
    `Run ${new Date().toISOString()}; ${settings.rounds} interleaved rounds of \`taskset ${shape} -H 'Authorization: Bearer <token>' <url>\` ` +
      `per scenario (the new-token scenario varies the token with a wrk Lua script instead of \`-H\`) after a ${settings.warmupS} s warm-up. ` +
      'wrk, the upstream, the JWKS issuer and the OTLP sink on cpu0, the app alone on cpu1; Redis is the shared server at 127.0.0.1:6379 ' +
      `(not pinned). Every scenario serves GET /orders/:orderId with the same ${UPSTREAM_BODY.length}-byte JSON body, answered by the terminal ` +
      'itself (no upstream) or, in the three proxied scenarios, fetched from the upstream through the gateway\'s Upstream (keep-alive undici Pool, breaker, bulkhead; its own CLIENT span when traced), as a BFF\'s proxied route does. Every request carries ' +
      `the same ${facts.tokenHeaderBytes}-byte Authorization header, bare ones too, so only the edge work differs. Each row is compared with the bare ` +
      'route with the same terminal.',
    '',
    '- **bare Koa route**: Koa, one @koa/router route, the terminal.',
    `- **${SPAN_ONLY}**: the bare route behind \`serverSpanMiddleware\` and nothing else of the edge (no auth, rate limit, log or metrics), ` +
      'every trace exported over OTLP as below: one span per request, the least any traced route pays.',
    '- **full edge stack**: what a Portico service runs: `createEdgeRuntime` (Redis client, config from the environment), `createEdgeApp` ' +
      '(request id + access log at info, problem+json, metrics, span naming, /livez /readyz /metrics, request guards), `serve` (edge server limits), ' +
      'then authenticate (RS256 JWT, key from a loopback JWKS) → authorize (scope `orders:read`) → rateLimit (Redis sliding window, key principal, ' +
      '10⁹ per minute so it never rejects) → the terminal. Access lines go through `createLogger` to /dev/null (sync).',
    '- **tracing off**: no OTLP endpoint, the production default. **+ tracing (OTLP)**: `startTelemetry` with an OTLP/HTTP endpoint ' +
      '(BatchSpanProcessor, every trace sampled, or 10% with `parentbased_traceidratio`): the edge app\'s server span, an ioredis client span ' +
      `and, proxied, the gateway Upstream's client span per request, exported as OTLP/HTTP protobuf (the default encoding) to a loopback sink, one per scenario (spans received below). ` +
      'The request\'s trace context is carried explicitly (TRACE_CONTEXT=explicit, the default); the two **async-local-storage** scenarios make it ' +
      'follow every await instead, as OpenTelemetry does by default, which on Node 20 turns on promise hooks for the whole process.',
    `- **new token per request**: ${fmt(ROTATED_TOKENS)} tokens for ${fmt(ROTATED_TOKENS)} subjects cycled in order, more than the verified-token cache ` +
      'holds, so every request verifies an RS256 signature and counts against its own Redis key; the other full scenarios send one token, ' +
      'verified once and then served from the cache (a client reusing its access token).',
    '',
    markdownTable(['scenario', 'req/s', '% of bare req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'edge CPU µs/req', 'CPU × bare', 'RSS MiB idle / after / peak', 'errors'], rows),
    '',
    `**Full edge stack with tracing keeps ${fmt(share * 100)}% of the bare route's req/s (goal ≥ ${GOAL * 100}%: ` +
      `${share >= GOAL ? 'met' : 'missed'}) at ${fmt(cpuX, 2)}× its CPU per request; ${fmt(sampledShare * 100)}% with 10% of traces sampled ` +
      `(${fmt(sampledAlsShare * 100)}% with async-local-storage); ${fmt(offShare * 100)}% with tracing off; ` +
      `on a proxied route, the shape of Kong's 76% (rate limiting and key auth, no tracing), ${fmt(proxiedOffShare * 100)}% with tracing off ` +
      `and ${fmt(proxiedShare * 100)}% with every trace exported.** ` +
      `To keep ${GOAL * 100}% the whole stack may add ${fmt(budget, 1)} µs of CPU per request to the bare route's ${fmt(bare.median.cpuUsPerReq, 1)}. ` +
      `The server span alone, every trace exported and no edge function at all, adds ${fmt(spanExtra, 1)} µs and keeps ${fmt(spanShare * 100)}%: ` +
      (spanShare < GOAL || spanExtra >= budget
        ? 'tracing alone uses up the budget. '
        : `it leaves ${fmt(budget - spanExtra, 1)} µs for the edge functions, which with tracing off add ${fmt(offExtra, 1)}. `) +
      '"edge CPU µs/req" is the CPU per request above the bare route with the same terminal. Percentages and × are medians of per-round ratios. ' +
      `CPU is the app's own (Redis's work is not counted). Highest steal seen in a run: ${fmt(steal, 1)}%; widest round-to-round spread of one ` +
      `scenario: req/s ${fmt(widestSpreadPercent(results, (s) => s.reqPerSec))}%, CPU µs/req ${fmt(widestSpreadPercent(results, (s) => s.cpuUsPerReq))}%.`,
    '',
    'Read back from each full app\'s /metrics after the run (pre-load checks and warm-up included):',
    '',
    ...checks.map((line) => `- ${line}`),
    `- Rate-limit keys in Redis under the run's prefix after the run: ${fmt(facts.keysAfter)} (deleted afterwards).`,
    '',
    'Spans each traced scenario\'s sink received (counted in the OTLP protobuf, 6 s after the last round so the batch queue has been exported); ' +
      'a request whose trace is exported whole gives 1 server span, +1 ioredis span on the full stack, +1 upstream client span proxied:',
    '',
    ...facts.traces.map(
      (t) =>
        `- ${t.name}: ${fmt(t.spans)} spans in ${fmt(t.exports)} exports; ` +
        (t.answered !== undefined ? `${fmt(t.spans / t.answered, 2)} per request answered (${fmt(t.answered)})` : `${fmt(t.measured)} requests in the measured rounds`),
    ),
    '',
    '![edge-stack cost](benchmarks/edge-stack.svg)',
    '',
  ].join('\n');
}

runMain(main);
