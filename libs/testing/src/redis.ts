/**
 * Redis for tests: the shared server's URL, a key prefix per test run, a clear failure when Redis is missing (never a
 * skip), prefix cleanup without FLUSHDB, and a dedicated redis-server child that fault tests may pause or kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { freePort } from './ports';

/** The Redis URL tests use: REDIS_URL, else the local default. */
export function testRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL || 'redis://127.0.0.1:6379';
}

/** A key prefix no other test run shares: `portico-test:<label>:<random>:`. */
export function uniquePrefix(label: string): string {
  return `portico-test:${label}:${randomBytes(6).toString('hex')}:`;
}

/** Pings Redis once (1 s timeout) and throws `Redis is not reachable at <url>: <reason>…` when it does not answer. */
export async function requireRedis(url: string = testRedisUrl()): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let socketError: Error | undefined;
  client.on('error', (err: Error) => (socketError ??= err)); // ECONNREFUSED etc.: a better reason than "Connection is closed"
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 1 s')), 1_000);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
  } catch (err) {
    const cause = socketError ?? err;
    const reason = (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, '');
    throw new Error(`Redis is not reachable at ${url}: ${reason}. Start it or set REDIS_URL.`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** The commands cleanupPrefix needs; an ioredis client fits. */
export interface ScanUnlinkClient {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK, never FLUSHDB: other runs share the server); returns how many. */
export async function cleanupPrefix(client: ScanUnlinkClient, prefix: string): Promise<number> {
  if (!prefix.startsWith('portico-test:')) throw new Error(`refusing to delete keys outside portico-test:* (got "${prefix}")`);
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) deleted += await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** A redis-server child owned by one test file, for fault injection. */
export interface DedicatedRedis {
  readonly url: string;
  readonly port: number;
  /** The child's pid (changes on restart). */
  readonly pid: number;
  /** SIGSTOP: the server keeps its sockets but answers nothing (a hung Redis). */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
  /** Kills the server (data is lost: no persistence) and starts a fresh one on the same port. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after 2 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

async function waitForRedis(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} before answering`);
    try {
      await requireRedis(url);
      return;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(`redis-server did not answer at ${url}`);
}

function spawnRedis(port: number): ChildProcess {
  const args = ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  child.on('error', () => undefined); // ENOENT surfaces as exitCode/timeout in waitForRedis
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGCONT'); // a paused server cannot handle SIGTERM
    child.kill('SIGTERM');
  });
}

/** Spawns `redis-server --port <free> --save "" --appendonly no --bind 127.0.0.1` and waits (≤ 5 s) until it answers. */
export async function startDedicatedRedis(): Promise<DedicatedRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child = spawnRedis(port);
  try {
    await waitForRedis(url, child, 5_000);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    url,
    port,
    get pid() {
      return child.pid ?? 0;
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async restart() {
      await stopChild(child);
      child = spawnRedis(port);
      await waitForRedis(url, child, 5_000);
    },
    stop: () => stopChild(child),
  };
}
