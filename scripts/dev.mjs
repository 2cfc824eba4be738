#!/usr/bin/env node
/**
 * `make dev`: runs the whole fleet on this machine with embedded local defaults: backends first, each awaited on
 * /readyz, then the BFFs. Ctrl-C stops everything. What runs and how it is wired is fleet-plan.mjs's business.
 */
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { defaultPorts, discoverServices, inheritedEnv, missingBuilds, parsePortOffset, selectServices, serviceEnv } from './fleet-plan.mjs';
import { describeExit, ServiceProcess } from './fleet-process.mjs';
import { LOCAL_HOST } from './local-dev.mjs';
import { formatLine, paint, prefixFor, useColour } from './log-lines.mjs';

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 10_000;
const USAGE = `usage: node scripts/dev.mjs [--only name,name] [--raw]
  --only a,b   run only these services (their *_SERVICE_URL wiring to the others stays the same)
  --raw        print the services' JSON log lines as they are
environment: PORTICO_PORT_OFFSET=n adds n to every port; REDIS_URL, LOG_LEVEL, OTEL_EXPORTER_OTLP_*, OTEL_TRACES_SAMPLER(_ARG), TRACE_CONTEXT and the simulation timings pass through`;

const colour = useColour(process.stdout, process.env);
let width = 5;
const say = (text) => process.stdout.write(`${paint('fleet'.padEnd(width), 1, colour)} │ ${text}\n`);

function fail(message) {
  process.stderr.write(`dev: ${message}\n`);
  process.exit(1);
}

function portFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, LOCAL_HOST, () => probe.close(() => resolve(true)));
  });
}

let args;
try {
  args = parseArgs({ options: { only: { type: 'string' }, raw: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

let all, selected, ports, offset;
try {
  offset = parsePortOffset(process.env.PORTICO_PORT_OFFSET);
  all = discoverServices();
  selected = selectServices(
    all,
    args.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  ports = defaultPorts(all, offset);
} catch (err) {
  fail(err.message);
}
if (selected.length === 0) fail('no services found (no package.json with portico.defaultPort under services/)');
const unbuilt = missingBuilds(selected);
if (unbuilt) fail(unbuilt);
for (const s of selected) {
  if (!(await portFree(ports.get(s.name)))) {
    fail(`port ${ports.get(s.name)} (${s.name}) is already in use: another fleet running? Stop it, or set PORTICO_PORT_OFFSET=100`);
  }
}

width = Math.max(5, ...all.map((s) => s.name.length));
const inherited = inheritedEnv(process.env);
let stopping = false;
let started = false;
let exitCode = 0;

const procs = selected.map((service) => {
  const index = all.indexOf(service);
  const prefix = prefixFor(service.name, index, width, colour);
  const proc = new ServiceProcess({
    name: service.name,
    cwd: service.dir,
    args: ['--enable-source-maps', '--import', '@portico/edge/instrument', service.entry],
    env: { ...inherited, ...serviceEnv(service, all, ports, { nodeEnv: 'development' }) },
    host: LOCAL_HOST,
    port: ports.get(service.name),
    ownGroup: true,
    ringSize: 50,
    onLine: (line) => {
      for (const shown of formatLine(line, { raw: args.raw, colour })) process.stdout.write(`${prefix}${shown}\n`);
    },
    onExit: (exit) => {
      // Before the fleet is up, waitReady reports the failure with the service's last lines.
      if (stopping || !started) return;
      say(`${service.name} ${describeExit(exit)}; stopping the fleet`);
      exitCode = 1;
      void shutdown();
    },
  });
  return { service, proc };
});

async function shutdown() {
  if (stopping) return;
  stopping = true;
  // A child that already ended was reported when it did; judge only those this shutdown stops.
  const results = await Promise.all(
    procs.filter(({ proc }) => proc.running).map(({ service, proc }) => proc.stop(STOP_GRACE_MS).then((exit) => ({ service, exit }))),
  );
  for (const { service, exit } of results) {
    const clean = !exit.forced && (exit.code === 0 || exit.signal === 'SIGTERM');
    if (!clean) {
      say(`${service.name} ${exit.forced ? 'ignored SIGTERM for 10 s and was killed' : describeExit(exit)}`);
      exitCode = 1;
    }
  }
  say(exitCode === 0 ? 'stopped' : 'stopped, with errors');
  process.exit(exitCode);
}

let signals = 0;
// SIGHUP: the terminal went away; stop the fleet rather than leave it running unseen.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signals += 1;
    if (signals === 1) {
      say(`${signal}: stopping (again to kill at once)`);
      void shutdown();
    } else {
      for (const { proc } of procs) proc.signal('SIGKILL');
    }
  });
}

async function startGroup(kind) {
  const group = procs.filter(({ service }) => service.kind === kind);
  for (const { proc } of group) proc.start();
  await Promise.all(group.map(({ proc }) => proc.waitReady(READY_TIMEOUT_MS)));
}

try {
  await startGroup('backend');
  if (!stopping) await startGroup('bff');
} catch (err) {
  if (!stopping) {
    process.stderr.write(`dev: ${err.message}\n`);
    exitCode = 1;
    await shutdown();
  }
}

if (!stopping) {
  started = true;
  const rows = procs.map(({ service, proc }) => [service.name, service.kind, `http://${LOCAL_HOST}:${proc.port}`, String(proc.pid)]);
  const table = [['SERVICE', 'KIND', 'URL', 'PID'], ...rows];
  const cols = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const lines = table.map(
    (r) =>
      `  ${r
        .map((cell, i) => cell.padEnd(cols[i]))
        .join('  ')
        .trimEnd()}`,
  );
  const redis = process.env.REDIS_URL
    ? `Redis: ${process.env.REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')}`
    : 'Redis: none (REDIS_URL unset): rate limits, caches and events are per process';
  process.stdout.write(
    `\nPortico fleet ready (${procs.length} services, port offset ${offset})\n${lines.join('\n')}\n  ${redis}\n  Ctrl-C stops the fleet.\n\n`,
  );
}
