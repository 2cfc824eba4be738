import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { deleteKeys, requireRedis, SHARED_REDIS_URL, testPrefix } from '../redis/redis-server';
import type { FixtureSettings } from './fixtures/rate-limit-server';

const LIMIT = 37;
const WINDOW_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startProcess(settings: FixtureSettings, storeFailures: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(__dirname, 'fixtures', 'rate-limit-server.ts'), [], { execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (msg: { storeFailure?: boolean }) => msg.storeFailure && storeFailures.push(String(child.pid)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fixture process did not start within 20 s')), 20_000);
    child.on('message', (msg: { port?: number }) => {
      if (msg.port) {
        clearTimeout(timer);
        resolve(msg.port);
      }
    });
    child.once('exit', (code) => reject(new Error(`fixture process exited with ${code}`)));
    child.send(settings);
  });
  return { child, port };
}

/** Sends `requests` (identity, port) through `concurrency` parallel connections; returns statuses per identity. */
async function drive(requests: Array<{ identity: string; port: number }>, concurrency: number, dispatcher: Agent): Promise<Map<string, number[]>> {
  const results = new Map<string, number[]>();
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { identity, port } = requests[next++]!;
      const res = await request(`http://127.0.0.1:${port}/limited`, { headers: { 'x-test-subject': identity }, dispatcher, signal: AbortSignal.timeout(5000) });
      await res.body.dump();
      results.set(identity, [...(results.get(identity) ?? []), res.statusCode]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

describe('rate limiting across two service processes sharing one Redis', function () {
  this.timeout(60_000);
  const prefix = `${testPrefix()}rl:`;
  const processes: ChildProcess[] = [];
  const storeFailures: string[] = [];
  const ports: number[] = [];
  let redis: Redis;
  let dispatcher: Agent;

  before(async () => {
    await requireRedis();
    redis = new Redis(SHARED_REDIS_URL);
    dispatcher = new Agent({ connections: 25, keepAliveTimeout: 10_000 });
    const settings = { redisUrl: SHARED_REDIS_URL, prefix, limit: LIMIT, per: `${WINDOW_MS / 1000}s` };
    for (const started of await Promise.all([startProcess(settings, storeFailures), startProcess(settings, storeFailures)])) {
      processes.push(started.child);
      ports.push(started.port);
    }
  });
  after(async () => {
    for (const child of processes) child.disconnect();
    await dispatcher?.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
    redis?.disconnect();
  });

  // The claim under test is atomicity: within one window no race admits an extra request. Start each run early in a
  // fixed window (Redis clock) so the sliding window's gradual refill at the next boundary plays no part.
  async function inFreshWindow<T>(run: () => Promise<T>): Promise<T> {
    const redisNow = async () => {
      const [s, us] = await redis.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };
    const now = await redisNow();
    if (now % WINDOW_MS > 3000) await sleep(WINDOW_MS - (now % WINDOW_MS) + 50);
    const window = Math.floor((await redisNow()) / WINDOW_MS);
    const result = await run();
    expect(Math.floor((await redisNow()) / WINDOW_MS), 'the run finished inside one window').to.equal(window);
    return result;
  }

  it(`admits exactly ${LIMIT} of 200 requests from 50 concurrent connections for one identity`, async () => {
    const requests = Array.from({ length: 200 }, (_, i) => ({ identity: 'solo', port: ports[i % 2]! }));
    const results = await inFreshWindow(() => drive(requests, 50, dispatcher));
    const statuses = results.get('solo')!;
    expect(statuses).to.have.length(200);
    expect(statuses.filter((s) => s === 200)).to.have.length(LIMIT);
    expect(statuses.filter((s) => s === 429)).to.have.length(200 - LIMIT);
    expect(storeFailures, 'fallback decisions').to.deep.equal([]);
  });

  it(`admits exactly ${LIMIT} per identity for five identities hammering at once`, async () => {
    const identities = ['ana', 'ben', 'cy', 'dee', 'eli'];
    const requests = Array.from({ length: 400 }, (_, i) => ({ identity: identities[i % identities.length]!, port: ports[Math.floor(i / 5) % 2]! }));
    const results = await inFreshWindow(() => drive(requests, 50, dispatcher));
    for (const identity of identities) {
      const statuses = results.get(identity)!;
      expect(statuses, identity).to.have.length(80);
      expect(statuses.filter((s) => s === 200), identity).to.have.length(LIMIT);
      expect(statuses.filter((s) => s === 429), identity).to.have.length(80 - LIMIT);
    }
    expect(storeFailures, 'fallback decisions').to.deep.equal([]);
  });
});
