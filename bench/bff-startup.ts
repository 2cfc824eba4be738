/**
 * BFF start-up: each BFF (and the order backend, for comparison) launched N times from its dist/main.js as the fleet
 * runs it, in NODE_ENV=production, alone on cpu1 with the backends it calls up on cpu0. Measures spawn → first 200 from
 * /readyz and RSS after 5 s idle. Goals: each BFF ready within 1 s, idle under 80 MB. Writes docs/benchmarks/bff-startup.{md,json}.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '@portico/edge';
import type { ServiceSpec } from '../scripts/fleet-plan.mjs' with { 'resolution-mode': 'import' };
import { cpuMicros, memoryMiB } from './lib/cpu';
import { BACKENDS, BFFS, startPinnedFleet } from './lib/fleet';
import { goalLines, type Goal } from './lib/goals';
import { startIssuer } from './lib/issuer';
import { fmt, machineInfo, markdownTable, publishSection } from './lib/report';
import { median } from './lib/rounds';
import { runMain } from './lib/processes';
import { freePort } from '../libs/testing/src/ports';

const LAUNCHES = Math.max(1, Number(process.env.BENCH_STARTUP_LAUNCHES ?? 5));
const IDLE_MS = 5_000;
const READY_TIMEOUT_MS = 20_000;
const POLL_MS = 5;
const TARGETS = [...BFFS, 'order'] as const;
const READY_GOAL_MS = 1_000;
const RSS_GOAL_BYTES = 80_000_000;

/** One launch's figures. */
interface Launch {
  round: number;
  readyMs: number;
  /** CPU (utime+stime) the process had used when /readyz first answered 200, ms. */
  cpuToReadyMs: number;
  idleRssMiB: number;
  peakMiB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readyOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** Spawns one service pinned to cpu1, times it to its first 200 from /readyz, idles, reads RSS, stops it by pid. */
async function launch(spec: ServiceSpec, env: Record<string, string>, port: number, round: number): Promise<Launch> {
  const started = performance.now();
  const child = spawn('taskset', ['-c', '1', process.execPath, '--import', '@portico/edge/instrument', spec.entry], {
    cwd: spec.dir,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 20) tail.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${spec.name} exited before it was ready:\n${tail.join('')}`);
      if (await readyOnce(port)) break;
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`${spec.name} not ready within ${READY_TIMEOUT_MS} ms:\n${tail.join('')}`);
      await sleep(POLL_MS);
    }
    const readyMs = performance.now() - started;
    const cpuToReadyMs = cpuMicros(child.pid!) / 1000;
    await sleep(IDLE_MS);
    const memory = memoryMiB(child.pid!);
    return { round, readyMs, cpuToReadyMs, idleRssMiB: memory.rss, peakMiB: memory.hwm };
  } finally {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(hard);
    }
  }
}

async function main(): Promise<void> {
  const plan = await import('../scripts/fleet-plan.mjs');
  const all = plan.discoverServices();
  const issuer = await startIssuer('portico-bench', 'bench');
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-startup-'));
  const keysFile = join(dir, 'api-keys.json');
  writeFileSync(keysFile, JSON.stringify([generateApiKey({ owner: 'c-1001', plan: 'partner', scopes: ['orders:read'] }).record]));
  const fleet = await startPinnedFleet(BACKENDS);
  const launches = new Map<string, Launch[]>(TARGETS.map((t) => [t, []]));
  try {
    const ports = new Map(all.map((s) => [s.name, fleet.port(s.name)]));
    const envOf = (spec: ServiceSpec): Record<string, string> => {
      const env: Record<string, string> = { ...plan.inheritedEnv(process.env, { passthrough: false }), ...plan.serviceEnv(spec, all, ports, { nodeEnv: 'production' }) };
      // Production refuses the local HS256 secret: the BFFs verify RS256 tokens against a JWKS, as deployed.
      if (env.JWT_SECRET) {
        delete env.JWT_SECRET;
        Object.assign(env, { JWKS_URL: issuer.jwksUrl, JWT_ISSUER: issuer.issuer });
      }
      if (spec.name === 'public-api') env.API_KEYS_FILE = keysFile;
      return env;
    };
    const specs = TARGETS.map((name) => all.find((s) => s.name === name)!);
    for (let round = 0; round < LAUNCHES; round += 1) {
      for (const spec of specs.map((_, i) => specs[(i + round) % specs.length]!)) {
        const result = await launch(spec, envOf(spec), await freePort(), round + 1);
        launches.get(spec.name)!.push(result);
        console.log(`launch ${round + 1} ${spec.name}: ready ${result.readyMs.toFixed(0)} ms (${result.cpuToReadyMs.toFixed(0)} ms CPU), idle RSS ${result.idleRssMiB.toFixed(1)} MiB`);
      }
    }
  } finally {
    await fleet.stopAll();
    issuer.close();
    rmSync(dir, { recursive: true, force: true });
  }
  report(launches);
}

function report(launches: Map<string, Launch[]>): void {
  const summary = TARGETS.map((name) => {
    const own = launches.get(name)!;
    return {
      name,
      readyMs: { median: median(own.map((l) => l.readyMs)), max: Math.max(...own.map((l) => l.readyMs)) },
      cpuToReadyMs: median(own.map((l) => l.cpuToReadyMs)),
      idleRssMiB: { median: median(own.map((l) => l.idleRssMiB)), max: Math.max(...own.map((l) => l.idleRssMiB)) },
      peakMiB: Math.max(...own.map((l) => l.peakMiB)),
      launches: own,
    };
  });
  const goals: Goal[] = summary
    .filter((s) => (BFFS as readonly string[]).includes(s.name))
    .flatMap((s) => [
      {
        goal: `${s.name}: answers /readyz 200 within 1 s of launch (median of ${LAUNCHES})`,
        measured: `${fmt(s.readyMs.median)} ms (slowest ${fmt(s.readyMs.max)} ms)`,
        pass: s.readyMs.median <= READY_GOAL_MS,
      },
      {
        goal: `${s.name}: idle RSS < 80 MB 5 s after ready (median of ${LAUNCHES})`,
        measured: `${fmt((s.idleRssMiB.median * 1_048_576) / 1e6, 1)} MB = ${fmt(s.idleRssMiB.median, 1)} MiB (largest ${fmt(s.idleRssMiB.max, 1)} MiB)`,
        pass: s.idleRssMiB.median * 1_048_576 < RSS_GOAL_BYTES,
      },
    ]);
  const machine = machineInfo();
  const rows = summary.map((s) => [
    s.name,
    fmt(s.readyMs.median),
    fmt(s.readyMs.max),
    fmt(s.cpuToReadyMs),
    fmt(s.idleRssMiB.median, 1),
    fmt(s.idleRssMiB.max, 1),
    fmt(s.peakMiB, 1),
  ]);
  const markdown = [
    '## BFF start-up time and idle memory',
    '',
    `Run ${machine.date} with \`BENCH_SUITES="bff-startup" bash bench/run.sh\`. Each BFF and, for comparison, the order backend launched ${LAUNCHES} times ` +
      '(interleaved, order rotated) exactly as the fleet runs it: `taskset -c 1 node --import @portico/edge/instrument dist/main.js` in the service\'s folder, ' +
      'with the environment scripts/fleet-plan.mjs gives it but `NODE_ENV=production`: mobile-bff and web-bff verify RS256 tokens against a loopback JWKS ' +
      '(production refuses the local HS256 secret), public-api reads a one-key API_KEYS_FILE, no REDIS_URL, no OTLP endpoint, LOG_LEVEL info. The six backends run ' +
      `on cpu0 so every upstream is up. Ready: from spawn() to the first 200 from GET /readyz, polled every ${POLL_MS} ms on a new connection. ` +
      `Idle RSS: VmRSS ${IDLE_MS / 1000} s after that, no traffic in between.`,
    '',
    markdownTable(['service', 'ready ms, median', 'ready ms, slowest', 'CPU ms to ready', 'idle RSS MiB, median', 'idle RSS MiB, largest', 'peak RSS MiB (VmHWM)'], rows),
    '',
    ...goalLines(goals),
    '',
    'Medians over the launches; "CPU ms to ready" is utime+stime of the process when /readyz first answered (module loading, config, routing map, ' +
      'pools), which holds better than wall time on this shared machine.',
    '',
  ].join('\n');
  publishSection('bff-startup', { markdown, json: { machine, launches: LAUNCHES, idleMs: IDLE_MS, goals, summary } });
}

runMain(main);
