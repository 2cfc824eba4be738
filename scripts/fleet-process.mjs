/**
 * One service as a child process: spawned in its own process group, output kept in a ring buffer, readiness polled
 * on /readyz, stopped with SIGTERM then SIGKILL. Shared by `make dev` and the e2e harness; what to run is fleet-plan.mjs's.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';

const live = new Set();
let exitHookInstalled = false;

// Last resort: if the parent exits (a crash, mocha's --exit) no child may outlive it.
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const proc of live) proc.signal('SIGKILL');
  });
}

/** GET http://host:port/readyz once; true on a 2xx within `timeoutMs`. */
export function probeReady(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/readyz', method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 300);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** Describes how a child ended: `exited with code 1` or `was killed by SIGKILL`. */
export function describeExit({ code, signal }) {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** A service process that can be started, awaited, signalled and restarted on the same port. */
export class ServiceProcess {
  /**
   * @param {{ name: string, cwd: string, args: string[], env: Record<string,string>, host: string, port: number,
   *   ownGroup?: boolean, ringSize?: number, onLine?: (line: string, stream: 'stdout'|'stderr') => void, onExit?: (exit) => void }} options
   */
  constructor(options) {
    this.options = options;
    this.name = options.name;
    this.port = options.port;
    this.host = options.host;
    this.ring = [];
    this.child = undefined;
    this.exit = undefined;
    this.exited = Promise.resolve(undefined);
  }

  /** True between start() and the child's exit. */
  get running() {
    return this.child !== undefined && this.exit === undefined;
  }

  /** The child's pid while it runs. */
  get pid() {
    return this.running ? this.child.pid : undefined;
  }

  /** Spawns the child; throws if it already runs. */
  start() {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.child.pid})`);
    installExitHook();
    const { cwd, args, env, ownGroup = false } = this.options;
    // ownGroup: a process group of its own, so a terminal's Ctrl-C reaches only a parent that stops children itself
    // (`make dev`); without it (tests) Ctrl-C on the test runner reaches the children directly.
    const child = spawn(process.execPath, args, { cwd, env, detached: ownGroup, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exit = undefined;
    live.add(this);
    const closed = [];
    for (const stream of ['stdout', 'stderr']) {
      const lines = createInterface({ input: child[stream], crlfDelay: Infinity });
      lines.on('line', (line) => this.#line(line, stream));
      closed.push(new Promise((resolve) => lines.once('close', resolve)));
    }
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.#line(`failed to start: ${err.message}`, 'stderr');
        this.#finish(child, { code: null, signal: null, error: err.message }, resolve);
      });
      // 'exit' then the streams' end: the last lines are in the ring before anyone reads the exit.
      child.once('exit', (code, signal) => {
        // Bounded: a grandchild holding the pipes open must not hide the exit.
        const drained = Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 1000).unref())]);
        void drained.then(() => this.#finish(child, { code, signal }, resolve));
      });
    });
    return this;
  }

  #finish(child, exit, resolve) {
    if (this.child !== child || this.exit) return;
    this.exit = exit;
    live.delete(this);
    resolve(exit);
    this.options.onExit?.(exit);
  }

  #line(line, stream) {
    this.ring.push(line);
    if (this.ring.length > (this.options.ringSize ?? 200)) this.ring.shift();
    this.options.onLine?.(line, stream);
  }

  /** The last `count` lines the child printed (both streams, in arrival order). */
  lastLines(count = this.ring.length) {
    return this.ring.slice(-count);
  }

  /** Polls /readyz every 100 ms until it answers 2xx; throws naming the service if it exits first or `timeoutMs` passes. */
  async waitReady(timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw this.#failure(`${describeExit(this.exit ?? { code: null })} before it was ready`);
      if (await probeReady(this.host, this.port, Math.min(1000, Math.max(100, deadline - Date.now())))) return;
      if (Date.now() >= deadline) throw this.#failure(`was not ready on http://${this.host}:${this.port}/readyz within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  #failure(what) {
    const tail = this.lastLines(20);
    const err = new Error(`${this.name} ${what}${tail.length ? `; its last lines:\n  ${tail.join('\n  ')}` : ' (it printed nothing)'}`);
    err.service = this.name;
    return err;
  }

  /** Sends `signal` to the child (its whole process group with `ownGroup`); a no-op once it has exited. */
  signal(signal) {
    if (!this.running) return;
    try {
      if (this.options.ownGroup) process.kill(-this.child.pid, signal);
      else this.child.kill(signal);
    } catch {
      // Already gone between the check and the kill.
    }
  }

  /** Resolves with the exit once the child has ended, or undefined if `timeoutMs` passes first. */
  async waitExit(timeoutMs) {
    if (!this.running) return this.exit;
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs, undefined)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit plus `forced: true` when SIGKILL was needed. */
  async stop(graceMs = 10000) {
    if (!this.running) return { ...this.exit, forced: false };
    this.signal('SIGTERM');
    const clean = await this.waitExit(graceMs);
    if (clean) return { ...clean, forced: false };
    this.signal('SIGKILL');
    const killed = await this.waitExit(5000);
    return { ...(killed ?? { code: null, signal: 'SIGKILL' }), forced: true };
  }
}
