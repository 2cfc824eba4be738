/**
 * End-to-end fleet harness: REAL service processes from their compiled dist/main.js on free loopback ports, wired as
 * `make dev` wires them (scripts/fleet-plan.mjs) and stopped however a test ends. Building (`npx tsc -b`) is the caller's job.
 */
import type { ServiceSpec } from '../../../scripts/fleet-plan.mjs' with { 'resolution-mode': 'import' };
import type { ExitInfo, ServiceProcess } from '../../../scripts/fleet-process.mjs' with { 'resolution-mode': 'import' };
import { freePorts } from './free-ports';

const HOST = '127.0.0.1';

/** What to start and with which extra environment. */
export interface FleetOptions {
  /** Service names to start (default: every discovered service); the others still get ports and wiring, so start(name) works later. */
  services?: string[];
  /** Added to every service's environment (e.g. `{ REDIS_URL }`), over the harness's defaults. */
  env?: Record<string, string>;
  /** Per service name, added last (e.g. `{ order: { ORDER_STEP_TIME: '100ms' } }`); may repoint a *_SERVICE_URL at a mock. */
  perService?: Record<string, Record<string, string>>;
  /** How long each service may take to answer /readyz (default 15 s). */
  readyTimeoutMs?: number;
  /** Repository root to discover services under (default: this repository). */
  root?: string;
  /** How many of each service's last output lines logs() keeps (default 200); raise it to read access logs. */
  logLines?: number;
}

/** A running fleet; every method takes a service name as `make dev` shows it (`order`, `mobile-bff`). */
export interface Fleet {
  /** The names that were started by startFleet. */
  readonly services: readonly string[];
  /** `http://127.0.0.1:<port>` of a service. */
  url(name: string): string;
  /** The port reserved for a service; it keeps it across restarts. */
  port(name: string): number;
  /** Starts (or restarts) a stopped service on its port and waits until it is ready. */
  start(name: string): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with how it exited. */
  stop(name: string): Promise<ExitInfo & { forced: boolean }>;
  /** Sends `signal` (default SIGKILL) and resolves with the exit; rejects if it has not exited within 10 s. */
  kill(name: string, signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** The child's pid while it runs. */
  pid(name: string): number | undefined;
  /** The last lines (up to FleetOptions.logLines, default 200) a service printed. */
  logs(name: string): string[];
  /** Every service's recent output, for a failed test's report. */
  dump(): string;
  /** Stops every running service (SIGTERM, then SIGKILL); safe to call more than once. */
  stopAll(): Promise<void>;
}

/** Starts the fleet (backends first, then BFFs), each awaited on /readyz; on failure stops what started and rejects with the culprit's last lines. */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const plan = await import('../../../scripts/fleet-plan.mjs');
  const { ServiceProcess: Process, describeExit } = await import('../../../scripts/fleet-process.mjs');
  const all = plan.discoverServices(options.root);
  const selected = plan.selectServices(all, options.services);
  const unbuilt = plan.missingBuilds(selected);
  if (unbuilt) throw new Error(unbuilt);
  for (const env of [options.env, ...Object.values(options.perService ?? {})]) {
    if (env && 'PORT' in env) throw new Error('startFleet picks every PORT itself; use fleet.port(name)');
  }
  const unknown = Object.keys(options.perService ?? {}).filter((name) => !all.some((s) => s.name === name));
  if (unknown.length) throw new Error(`perService names unknown service ${unknown.join(', ')}`);

  // Never a default port: CI may run beside a dev fleet. A gRPC backend's second port (its HTTP port plus the distance
  // between its default ports, fleet-plan.mjs) is checked and held too, or it may already be in use when it binds.
  const avoid = new Set(all.flatMap((s) => (s.grpcPort === undefined ? [s.defaultPort] : [s.defaultPort, s.grpcPort])));
  const picked = await freePorts(all.length, avoid, all.map((s) => (s.grpcPort === undefined ? undefined : s.grpcPort - s.defaultPort)));
  const ports = new Map(all.map((s, i) => [s.name, picked[i]!]));
  const base = { ...plan.inheritedEnv(process.env, { passthrough: false }), LOG_LEVEL: 'info' };
  const procs = new Map<string, ServiceProcess>();
  for (const service of all) {
    const env = { ...base, ...plan.serviceEnv(service, all, ports, { host: HOST, nodeEnv: 'test' }), ...options.env, ...options.perService?.[service.name] };
    procs.set(
      service.name,
      new Process({
        name: service.name,
        cwd: service.dir,
        args: ['--enable-source-maps', '--import', '@portico/edge/instrument', service.entry],
        env,
        host: HOST,
        port: ports.get(service.name)!,
        ringSize: options.logLines ?? 200,
      }),
    );
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const proc = (name: string): ServiceProcess => {
    const found = procs.get(name);
    if (!found) throw new Error(`no service ${name}; the fleet has ${[...procs.keys()].join(', ')}`);
    return found;
  };
  const specOf = (name: string): ServiceSpec => all.find((s) => s.name === name)!;

  const fleet: Fleet = {
    services: selected.map((s) => s.name),
    url: (name) => `http://${HOST}:${proc(name).port}`,
    port: (name) => proc(name).port,
    pid: (name) => proc(name).pid,
    logs: (name) => proc(name).lastLines(),
    async start(name) {
      const p = proc(name);
      const unbuiltOne = plan.missingBuilds([specOf(name)]);
      if (unbuiltOne) throw new Error(unbuiltOne);
      p.start();
      await p.waitReady(readyTimeoutMs);
    },
    stop: (name) => proc(name).stop(10_000),
    async kill(name, signal = 'SIGKILL') {
      const p = proc(name);
      if (!p.running) throw new Error(`${name} is not running`);
      p.signal(signal);
      const exit = await p.waitExit(10_000);
      if (!exit) throw new Error(`${name} did not exit within 10 s of ${signal}`);
      return exit;
    },
    dump() {
      return [...procs.values()]
        .filter((p) => p.lastLines().length > 0)
        .map((p) => `--- ${p.name} (${p.running ? `running, pid ${p.pid}` : p.exit ? describeExit(p.exit) : 'never started'}) ---\n${p.lastLines().join('\n')}`)
        .join('\n');
    },
    async stopAll() {
      await Promise.all([...procs.values()].map((p) => p.stop(10_000)));
    },
  };

  try {
    for (const kind of ['backend', 'bff'] as const) {
      const group = selected.filter((s) => s.kind === kind).map((s) => proc(s.name));
      for (const p of group) p.start();
      await Promise.all(group.map((p) => p.waitReady(readyTimeoutMs)));
    }
  } catch (err) {
    await fleet.stopAll();
    throw err;
  }
  return fleet;
}
