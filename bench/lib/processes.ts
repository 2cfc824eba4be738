/**
 * Starts each system under test as its own pinned child process (so /proc can read its CPU) and stops every one of them
 * by pid when the suite ends, however it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

/** A child process started by a suite. */
export interface BenchProcess {
  name: string;
  pid: number;
  /** What the child printed after `READY ` (ports, sizes), parsed as JSON; `{}` for processes polled by port. */
  info: Record<string, unknown>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

function killAll(): void {
  for (const child of running) {
    if (child.pid) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  running.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** How to start a process: `command` runs under `taskset -c <cpu>` with NODE_ENV=production. */
export interface StartOptions {
  name: string;
  cpu: number;
  command: string[];
  env?: Record<string, string>;
  /** Wait for a `READY {json}` stdout line (default), or until this TCP port accepts. */
  waitForPort?: number;
  timeoutMs?: number;
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(500, () => done(false));
  });
}

/** Spawns `taskset -c <cpu> <command…>` and resolves once it is ready; taskset execs, so the pid is the program's. */
export async function startProcess(options: StartOptions): Promise<BenchProcess> {
  const child = spawn('taskset', ['-c', String(options.cpu), ...options.command], {
    env: { ...process.env, NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  const stop = () => stopChild(child);
  const timeoutMs = options.timeoutMs ?? 15_000;
  try {
    const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.name} not ready within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited with code ${code} before it was ready`));
      });
      if (options.waitForPort !== undefined) {
        const port = options.waitForPort;
        const poll = async () => {
          const until = Date.now() + timeoutMs;
          while (!(await portAccepts(port))) {
            if (Date.now() > until) return; // the timer has rejected
            await new Promise((r) => setTimeout(r, 50));
          }
          clearTimeout(timer);
          resolve({ port });
        };
        void poll();
      } else {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (!line.startsWith('READY ')) return;
          clearTimeout(timer);
          resolve(JSON.parse(line.slice(6)) as Record<string, unknown>);
        });
      }
    });
    child.stdout?.resume();
    return { name: options.name, pid: child.pid ?? 0, info, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Node with tsx, for TypeScript servers: `node --import tsx <file>`. */
export function nodeTs(file: string): string[] {
  return [process.execPath, '--import', 'tsx', file];
}

/**
 * The single-route suites' setup: one upstream (bench/lib/upstream.ts) answering an order with `items` line items on
 * cpu0, and one Portico BFF (bench/servers/portico-bff.ts) serving `routes` with UPSTREAM_URL pointing at it, alone on
 * cpu1. Both are added to `started` as they come up, so stopAll stops whatever did start.
 */
export async function startBffOverUpstream(routes: string, items: number, started: BenchProcess[]): Promise<{ bff: BenchProcess; base: string }> {
  const upstream = await startProcess({ name: 'upstream (cpu0)', cpu: 0, command: nodeTs('bench/lib/upstream.ts'), env: { UPSTREAM_ITEMS: String(items) } });
  started.push(upstream);
  const bff = await startProcess({
    name: 'portico-bff (cpu1)',
    cpu: 1,
    command: nodeTs('bench/servers/portico-bff.ts'),
    env: { UPSTREAM_URL: `http://127.0.0.1:${(upstream.info.ports as number[])[0]}`, BENCH_ROUTES: routes },
    timeoutMs: 60_000,
  });
  started.push(bff);
  return { bff, base: `http://127.0.0.1:${Number(bff.info.port)}` };
}

/** Stops benchmark processes, the last started first. */
export async function stopAll(processes: BenchProcess[]): Promise<void> {
  for (const p of [...processes].reverse()) await p.stop();
}

/** Runs a suite's main; a failure is printed and makes the process exit non-zero once everything has been stopped. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
