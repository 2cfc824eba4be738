/** Test helpers: the shared Redis (REDIS_URL) with a per-run key prefix, and dedicated redis-server processes tests may stop, stall or flush. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** The shared Redis every test run uses; FLUSHDB and SCRIPT FLUSH are forbidden on it. */
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix unique to this test run, so runs sharing the server never see each other's keys. */
export function testPrefix(): string {
  return `portico-test:${randomBytes(6).toString('hex')}:`;
}

/** Resolves when the shared Redis answers PING; otherwise fails with a message naming the URL. */
export async function requireRedis(url = SHARED_REDIS_URL): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(`Redis is unreachable at ${url} (${(err as Error).message}); these tests need a real Redis — start one or set REDIS_URL`);
  } finally {
    probe.disconnect();
  }
}

/** Deletes every key under `prefix` on the shared server (SCAN + UNLINK; never FLUSHDB). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** A free loopback TCP port (released before it is returned; good enough for a test server). */
/** How many times the Redis server has read from a client socket (INFO stats): a batch written at once is one read. */
export async function readsProcessed(redis: Redis): Promise<number> {
  const match = /total_reads_processed:(\d+)/.exec(await redis.info('stats'));
  if (!match) throw new Error('INFO stats has no total_reads_processed');
  return Number(match[1]);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const running = new Set<ChildProcess>();
// A dedicated redis-server must never outlive the test process, even when mocha exits early.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A redis-server on a free port that only this test uses: safe to SCRIPT FLUSH, SIGSTOP or stop. */
export class DedicatedRedis {
  readonly port: number;
  readonly url: string;
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'portico-redis-'));

  private readonly args: string[];

  private constructor(port: number, args: string[]) {
    this.port = port;
    this.args = args.map((arg) => arg.replace('$DIR', this.dir));
    this.url = `redis://127.0.0.1:${port}`;
  }

  /**
   * Starts a server with persistence off (on `port`, else a free one); resolves once it accepts connections.
   * `args` come first (a config file, `--sentinel`, `--cluster-enabled yes` …); `$DIR` names the server's own directory.
   */
  static async start(port?: number, args: string[] = []): Promise<DedicatedRedis> {
    const server = new DedicatedRedis(port ?? (await freePort()), args);
    await server.start();
    return server;
  }

  /** (Re)starts the server on the same port. */
  async start(): Promise<void> {
    const child = spawn('redis-server', [...this.args, '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server on port ${this.port} did not start: ${output}`)), 5000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections|Sentinel ID is/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run redis-server: ${err.message}`));
      });
    });
  }

  /** SIGSTOP: the TCP connection stays open but nothing answers, like a stalled Redis. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the server (connections are refused until start()). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  /** The server's own working directory (for config files it should read). */
  get directory(): string {
    return this.dir;
  }

  /** Stops the server and removes its working directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}


/** Starts a Redis Sentinel on a free port watching `primary` as `masterName` (quorum 1). */
export async function startSentinel(primary: DedicatedRedis, masterName: string): Promise<DedicatedRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-sentinel-'));
  const file = join(dir, 'sentinel.conf');
  writeFileSync(file, `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 1\n`);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return DedicatedRedis.start(undefined, [file, '--sentinel']);
}

/** Starts a three-primary Redis Cluster on free ports; resolves once every node reports cluster_state:ok. */
export async function startCluster(): Promise<DedicatedRedis[]> {
  const nodes = await Promise.all([0, 1, 2].map(() => DedicatedRedis.start(undefined, ['--cluster-enabled', 'yes', '--cluster-config-file', '$DIR/nodes.conf'])));
  const create = spawn('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  const code = await new Promise((resolve) => create.once('exit', resolve));
  if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${String(code)}`);
  const until = Date.now() + 10_000;
  for (const node of nodes) {
    const probe = new Redis(node.url, { maxRetriesPerRequest: 1 });
    try {
      while (!String(await probe.cluster('INFO')).includes('cluster_state:ok')) {
        if (Date.now() > until) throw new Error('the test cluster did not reach cluster_state:ok within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      probe.disconnect();
    }
  }
  return nodes;
}
