/**
 * WebSocket fan-out benchmark (live order updates): one BFF process pinned to cpu1 holding N idle sockets (RSS per
 * socket), then M sockets on one order receiving events published through Redis (p50/p99 delivery latency: client
 * receive time − publish time, one machine clock). This process is the clients and the publisher, pinned to cpu0.
 * Run: `npx tsx bench/ws-fanout.ts` (bounded: a few minutes at most). Writes docs/benchmarks/ws-fanout.{md,json}.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { memoryMiB } from './lib/cpu';
import { startIssuer } from './lib/issuer';
import { nodeTs, startProcess } from './lib/processes';
import { fmt, machineInfo, markdownTable, writeSection } from './lib/report';

const IDLE_SOCKETS = Number(process.env.WS_IDLE_SOCKETS ?? 5000);
const HOT_SOCKETS = Number(process.env.WS_HOT_SOCKETS ?? 1000);
const EVENTS = 20;
const EVENT_GAP_MS = 250;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const BATCH = 200;
const PHASE_TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function open(url: string, token: string, onMessage?: (data: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['bearer', token], { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    if (onMessage) ws.on('message', (data: Buffer) => onMessage(data));
  });
}

/** Opens `count` sockets BATCH at a time, bounded in time. */
async function openMany(count: number, url: (i: number) => string, token: string, onMessage?: (data: Buffer) => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  for (let i = 0; i < count; i += BATCH) {
    if (Date.now() > deadline) throw new Error(`opened only ${sockets.length} of ${count} sockets in time`);
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => open(url(i + j), token, onMessage)));
    sockets.push(...batch);
  }
  return sockets;
}

async function main(): Promise<void> {
  // This process is the load: it stays off the system under test's core.
  execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });
  const issuer = await startIssuer();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 1000, lazyConnect: true });
  try {
    await redis.connect();
  } catch (err) {
    throw new Error(`Redis is unreachable at ${REDIS_URL}: ${(err as Error).message}`);
  }
  const prefix = `portico-bench:${randomUUID()}:`;
  const bff = await startProcess({
    name: 'ws-fanout-bff',
    cpu: 1,
    command: nodeTs('bench/servers/ws-fanout-bff.ts'),
    env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, JWKS_URL: issuer.jwksUrl, JWT_ISSUER: issuer.issuer, JWT_AUDIENCE: issuer.audience, JWT_ALGORITHMS: 'RS256' },
    timeoutMs: 60_000,
  });
  const base = `ws://127.0.0.1:${bff.info.port as number}`;
  const token = issuer.sign('bench-user', 'orders:read');
  const sockets: WebSocket[] = [];
  try {
    // Check it answers correctly before loading it: a socket without a token is refused, one with a token opens.
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/orders/o-check/live`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(0));
    });
    if (refused !== 401) throw new Error(`expected 401 without a token, got ${refused}`);
    const warm = await openMany(BATCH, (i) => `${base}/orders/o-warm-${i}/live`, token);
    warm.forEach((ws) => ws.close());
    await sleep(2000);

    const before = memoryMiB(bff.pid);
    const idleStarted = Date.now();
    sockets.push(...(await openMany(IDLE_SOCKETS, (i) => `${base}/orders/o-idle-${i}/live`, token)));
    const openSeconds = (Date.now() - idleStarted) / 1000;
    await sleep(3000);
    const after = memoryMiB(bff.pid);
    const kbPerSocket = ((after.rss - before.rss) * 1024) / IDLE_SOCKETS;

    const latencies: number[] = [];
    const perEventMax = new Map<number, number>();
    const onMessage = (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { sentAt?: number; n?: number };
      if (msg.sentAt === undefined || msg.n === undefined || msg.n < 0) return;
      const ms = Date.now() - msg.sentAt;
      latencies.push(ms);
      perEventMax.set(msg.n, Math.max(perEventMax.get(msg.n) ?? 0, ms));
    };
    sockets.push(...(await openMany(HOT_SOCKETS, () => `${base}/orders/o-hot/live`, token, onMessage)));
    const publish = (n: number) =>
      redis.publish(`${prefix}events:orders.o-hot`, JSON.stringify({ id: `o-hot:${n + 100}`, type: 'courier.location', at: new Date().toISOString(), n, sentAt: Date.now(), location: { lat: 37.8, lng: -122.27 } }));
    for (let n = -3; n < 0; n++) {
      await publish(n);
      await sleep(EVENT_GAP_MS);
    }
    for (let n = 0; n < EVENTS; n++) {
      await publish(n);
      await sleep(EVENT_GAP_MS);
    }
    const expected = EVENTS * HOT_SOCKETS;
    const waitUntil = Date.now() + 10_000;
    while (latencies.length < expected && Date.now() < waitUntil) await sleep(50);
    const sorted = [...latencies].sort((a, b) => a - b);
    const eventMax = [...perEventMax.values()].sort((a, b) => a - b);
    const peak = memoryMiB(bff.pid);

    const result = {
      machine: machineInfo(),
      idleSockets: IDLE_SOCKETS,
      hotSockets: HOT_SOCKETS,
      events: EVENTS,
      openSeconds,
      rssBeforeMiB: before.rss,
      rssAfterIdleMiB: after.rss,
      rssPeakMiB: peak.hwm,
      kbPerIdleSocket: kbPerSocket,
      delivered: latencies.length,
      expected,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN },
      lastSocketPerEventMs: { p50: percentile(eventMax, 50), max: eventMax[eventMax.length - 1] ?? NaN },
    };
    const goals = `goals: < 50 KB RSS per idle socket (${kbPerSocket < 50 ? 'met' : 'NOT met'}), p99 fan-out < 100 ms (${result.latencyMs.p99 < 100 ? 'met' : 'NOT met'})`;
    const markdown = [
      '## Live orders: WebSocket fan-out',
      '',
      `One BFF process (createBff + live module, events over Redis pub/sub) pinned to cpu1; the clients and the publisher in one process on cpu0. ${result.machine.cpuModel}, ${result.machine.nproc} cores, Node ${result.machine.node}, ${result.machine.date}.`,
      '',
      markdownTable(
        ['measure', 'value'],
        [
          ['idle sockets held (one order each)', fmt(IDLE_SOCKETS)],
          ['RSS before → after, MiB', `${fmt(before.rss, 1)} → ${fmt(after.rss, 1)}`],
          ['**RSS per idle socket, KB**', `**${fmt(kbPerSocket, 1)}**`],
          ['sockets on the hot order', fmt(HOT_SOCKETS)],
          ['messages delivered / expected', `${fmt(latencies.length)} / ${fmt(expected)}`],
          ['delivery latency p50, ms', fmt(result.latencyMs.p50)],
          ['**delivery latency p99, ms**', `**${fmt(result.latencyMs.p99)}**`],
          ['delivery latency max, ms', fmt(result.latencyMs.max)],
          ['last socket of an event, median / max, ms', `${fmt(result.lastSocketPerEventMs.p50)} / ${fmt(result.lastSocketPerEventMs.max)}`],
          ['peak RSS (VmHWM), MiB', fmt(peak.hwm, 1)],
        ],
      ),
      '',
      `${goals}. Latency is publish (Redis PUBLISH from the client process) to receipt by each client socket, so it includes Redis, the BFF's fan-out and the single client process reading ${fmt(HOT_SOCKETS)} sockets; RSS includes each idle socket's feed (one Redis channel subscription per order).`,
      '',
    ].join('\n');
    process.stdout.write(`${markdown}\n`);
    writeSection('ws-fanout', { markdown, json: result });
  } finally {
    for (const ws of sockets) ws.terminate();
    await bff.stop();
    redis.disconnect();
    issuer.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`ws-fanout: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
