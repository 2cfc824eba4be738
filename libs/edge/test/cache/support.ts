/** Test support for the cache suites: a Redis connection that fails loudly, per-run key prefixes, a Koa app with a counting terminal. */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import Koa from 'koa';
import { Redis } from 'ioredis';
import { EdgeError, problemMiddleware } from '../../src/errors';
import { MemoryCacheStore, RedisCacheStore, type CacheEntry, type CacheStore } from '../../src/cache';
import type { EdgeLogger, EdgeState } from '../../src/state';

/** The Redis every test run shares. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Connects to REDIS_URL or throws "Redis is unreachable at <url>" so the suite fails instead of skipping. */
export async function connectTestRedis(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis is unreachable at ${REDIS_URL}: ${(err as Error).message}`);
  }
  return redis;
}

/** A key prefix no other test run uses. */
export function testPrefix(): string {
  return `portico-test:${randomUUID()}:`;
}

/** Deletes every key under `prefix` (never FLUSHDB: other runs share the server). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A logger that records warnings. */
export function recordingLogger(): EdgeLogger & { warnings: Array<{ obj: object; msg?: string }> } {
  const warnings: Array<{ obj: object; msg?: string }> = [];
  const logger = {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }),
    error: () => {},
    child: () => logger,
  };
  return logger;
}

/** Deterministic bytes covering every byte value. */
export function bytes(size: number, seed = 7): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

/** A Readable that yields `data` in 16 KiB chunks, one per macrotask, like a proxied upstream body. */
export function slowStream(data: Buffer): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < data.length; at += 16_384) {
      await new Promise((resolve) => setImmediate(resolve));
      yield data.subarray(at, at + 16_384);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** What the outer test middleware saw after `await next()` resolved, per request. */
export interface Observed {
  requestId: string;
  cache: EdgeState['cache'];
  xCache: string | undefined;
  status: number;
}

/** A running test app: the base URL, per-path downstream call counts and post-next() observations. */
export interface TestApp {
  base: string;
  calls: Map<string, number>;
  observed: Observed[];
  seen: Array<{ path: string; querystring: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * Starts `outer → problem+json → test principal (x-test-user) → cache → terminal` on 127.0.0.1.
 * `terminal` answers by path and every call is counted, so a test can prove how often the route really ran.
 */
export async function startApp(cache: Koa.Middleware<EdgeState>, terminal: (ctx: Koa.ParameterizedContext<EdgeState>) => Promise<void>): Promise<TestApp> {
  const app = new Koa<EdgeState>();
  const calls = new Map<string, number>();
  const observed: Observed[] = [];
  const seen: TestApp['seen'] = [];
  let requests = 0;
  app.use(async (ctx, next) => {
    ctx.state.requestId = `req-${++requests}`;
    ctx.set('X-Request-Id', ctx.state.requestId);
    ctx.set('RateLimit', `"r";r=${100 - requests};t=60`);
    await next();
    const xCache = ctx.response.headers['x-cache'];
    observed.push({ requestId: ctx.state.requestId, cache: ctx.state.cache, xCache: xCache === undefined ? undefined : String(xCache), status: ctx.status });
  });
  app.use(problemMiddleware({ logger: recordingLogger() }));
  app.use(async (ctx, next) => {
    const user = ctx.get('x-test-user');
    // Stands in for auth/authenticate: a verified principal, no credential header left on the request.
    if (user) ctx.state.principal = { kind: 'jwt', issuer: 'https://issuer.test', subject: user, scopes: [], roles: [] };
    await next();
  });
  app.use(cache);
  app.use(async (ctx) => {
    calls.set(ctx.path, (calls.get(ctx.path) ?? 0) + 1);
    seen.push({ path: ctx.path, querystring: ctx.querystring, headers: { ...ctx.request.headers } });
    await terminal(ctx);
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    calls,
    observed,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Fails a request the way an upstream timeout would. */
export function upstreamTimeout(): EdgeError {
  return new EdgeError('UPSTREAM_TIMEOUT', { detail: 'test upstream: no answer' });
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A store under test, with what a suite needs to open, reset and close it. */
export interface StoreHarness {
  name: string;
  setUp(): Promise<void>;
  /** A store with no entries: a new memory store, or the shared Redis client under a new prefix. */
  newStore(): CacheStore;
  tearDown(): Promise<void>;
}

/** The memory store and the Redis store, so one suite proves both. */
export function storeHarnesses(): StoreHarness[] {
  let redis: Redis | undefined;
  const prefixes: string[] = [];
  return [
    { name: 'MemoryCacheStore', setUp: async () => {}, newStore: () => new MemoryCacheStore(), tearDown: async () => {} },
    {
      name: 'RedisCacheStore',
      setUp: async () => {
        redis = await connectTestRedis();
      },
      newStore: () => {
        if (!redis) throw new Error(`Redis is unreachable at ${REDIS_URL}`);
        const keyPrefix = testPrefix();
        prefixes.push(keyPrefix);
        return new RedisCacheStore({ redis, keyPrefix });
      },
      tearDown: async () => {
        if (!redis) return;
        for (const prefix of prefixes) await deleteByPrefix(redis, prefix);
        await redis.quit();
      },
    },
  ];
}

/** Wraps a store and records every ttl it is asked to store with. */
export function recordingStore(store: CacheStore): CacheStore & { sets: Array<{ key: string; ttlMs: number }> } {
  const sets: Array<{ key: string; ttlMs: number }> = [];
  return {
    sets,
    get: (key: string) => store.get(key),
    set: (key: string, entry: CacheEntry, ttlMs: number) => {
      sets.push({ key, ttlMs });
      return store.set(key, entry, ttlMs);
    },
  };
}

/** 200 KiB streamed body: under the default 512 KiB limit. */
export const STREAM_BODY = bytes(200 * 1024);
/** 700 KiB streamed body: over the default 512 KiB limit. */
export const BIG_BODY = bytes(700 * 1024, 3);

/**
 * The route behind the cache in the suites: each path answers the way one kind of upstream answer looks.
 * `/slow…` paths take 100 ms so concurrent requests overlap; `/fail-first` fails its first call.
 */
export function fixtureTerminal(): (ctx: Koa.ParameterizedContext<EdgeState>) => Promise<void> {
  let served = 0;
  let failed = false;
  return async (ctx) => {
    const n = ++served;
    if (ctx.path.startsWith('/slow') || ctx.path === '/fail-first') await sleep(100);
    const json = () => {
      ctx.set('ETag', `"v${n}"`);
      ctx.set('X-Upstream', 'orders');
      ctx.body = { n, path: ctx.path, query: ctx.querystring, lang: ctx.get('accept-language') || null, user: ctx.state.principal?.subject ?? null };
    };
    switch (ctx.path) {
      case '/no-store':
      case '/slow-no-store':
        ctx.set('Cache-Control', 'no-store');
        return json();
      case '/private':
        ctx.set('Cache-Control', 'private, max-age=60');
        return json();
      case '/no-cache':
        ctx.set('Cache-Control', 'no-cache');
        return json();
      case '/max-age-0':
        ctx.set('Cache-Control', 'max-age=0');
        return json();
      case '/max-age':
        ctx.set('Cache-Control', 'public, max-age=5');
        ctx.set('Age', '2');
        return json();
      case '/cookie':
        ctx.set('Set-Cookie', 'sid=abc; HttpOnly');
        return json();
      case '/vary-star':
        ctx.set('Vary', '*');
        return json();
      case '/vary-upstream':
        ctx.set('Vary', 'X-Tenant');
        return json();
      case '/gzip':
        ctx.set('Content-Encoding', 'gzip');
        ctx.body = Buffer.from([0x1f, 0x8b]);
        return;
      case '/missing':
        ctx.status = 404;
        ctx.body = { n, message: 'no such order' };
        return;
      case '/fail-first':
        if (!failed) {
          failed = true;
          throw upstreamTimeout();
        }
        return json();
      case '/partial':
        ctx.body = { n, order: { id: 'o1' }, delivery: null, _errors: [{ part: 'delivery', code: 'UPSTREAM_TIMEOUT' }] };
        return;
      case '/partial-header':
        ctx.set('X-Partial-Response', 'delivery');
        return json();
      case '/text':
        ctx.body = `plain answer ${n}`;
        return;
      case '/stream':
      case '/slow-stream':
        ctx.type = 'application/octet-stream';
        ctx.length = STREAM_BODY.length;
        ctx.body = slowStream(STREAM_BODY);
        return;
      case '/broken-stream':
        ctx.type = 'application/octet-stream';
        ctx.body = Readable.from(
          (async function* () {
            yield STREAM_BODY.subarray(0, 1000);
            await sleep(5);
            throw new Error('socket hang up from 10.0.0.7:8080');
          })(),
          { objectMode: false },
        );
        return;
      case '/big-stream':
        ctx.type = 'application/octet-stream';
        ctx.length = BIG_BODY.length;
        ctx.body = slowStream(BIG_BODY);
        return;
      default:
        return json();
    }
  };
}

/** A fetched response with its body read as bytes. */
export interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** GETs (or HEADs) `base + path` and reads the whole body. */
export async function request(base: string, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Fetched> {
  const res = await fetch(base + path, { method: init.method ?? 'GET', headers: init.headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
}

/** Response headers minus the ones that differ per delivery (Date, Age, X-Cache, request id, rate limit). */
export function stableHeaders(headers: Headers): Record<string, string> {
  const perDelivery = new Set(['date', 'age', 'x-cache', 'x-request-id', 'ratelimit', 'connection', 'keep-alive']);
  return Object.fromEntries([...headers].filter(([name]) => !perDelivery.has(name)));
}
