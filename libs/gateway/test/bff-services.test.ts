import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { apiKeyRedisKey, generateApiKey, RedisApiKeyStore, type ApiKeyRecord, type ApiKeyStore } from '@portico/edge';
import { createBff, type Bff } from '../src/create-bff';
import type { ApiKeySource } from '../src/bff-services';
import { startUpstream, type TestUpstream } from './proxy/proxy-harness';
import { send } from './proxy/http-client';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const ROUTES = `
routes:
  - { id: keyed, method: GET, path: /keyed, upstream: "\${ORDER_SERVICE_URL}/keyed", policy: { auth: required, credentials: [api-key] } }
`;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createBff apiKeys option (bff-services apiKeyStoreFor)', function () {
  this.timeout(20_000);
  const prefix = `portico-test:gateway-apikeys:${randomBytes(6).toString('hex')}:`;
  let redis: Redis;
  let upstream: TestUpstream;
  let dir: string;
  let routesFile: string;
  let keysFile: string;
  let inRedis: { key: string; record: ApiKeyRecord };
  let inFile: { key: string; record: ApiKeyRecord };
  const running: Bff[] = [];

  async function start(apiKeys: ApiKeySource | undefined, env: Record<string, string>, waitReady = true): Promise<string> {
    const bff = await createBff({
      serviceName: 'test-bff',
      routesFile,
      apiKeys,
      env: { PORT: '0', LOG_LEVEL: 'silent', NODE_ENV: 'test', ORDER_SERVICE_URL: upstream.url, ...env },
      signals: false,
      watch: false,
    });
    running.push(bff);
    const server = await bff.listen(0, '127.0.0.1');
    // As a load balancer would: no traffic before /readyz (Redis connected, key file read) says so.
    for (let i = 0; waitReady && !(await bff.readiness.check()).ready; i += 1) {
      if (i > 100) throw new Error('BFF not ready within 2 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const status = async (base: string, key: string) => (await send(base, '/keyed', { headers: { 'x-api-key': key } })).status;

  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await redis.connect().catch((err: Error) => {
      throw new Error(`Redis is unreachable at ${REDIS_URL}: ${err.message}`);
    });
    upstream = await startUpstream((_req, res) => res.end('ok'));
    dir = mkdtempSync(join(tmpdir(), 'portico-bff-apikeys-'));
    routesFile = join(dir, 'routes.yaml');
    writeFileSync(routesFile, ROUTES);
    inRedis = generateApiKey({ owner: 'c-redis', scopes: [] });
    inFile = generateApiKey({ owner: 'c-file', scopes: [] });
    keysFile = join(dir, 'api-keys.json');
    writeFileSync(keysFile, JSON.stringify([inFile.record]));
    // Written the way `npm run apikey` writes with REDIS_URL set.
    await new RedisApiKeyStore({ redis, keyPrefix: prefix }).put(inRedis.record);
  });
  after(async () => {
    for (const bff of running) await bff.close();
    await redis.del(apiKeyRedisKey(prefix, inRedis.record.id));
    redis.disconnect();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("'redis-or-file' reads keys from Redis under REDIS_KEY_PREFIX when REDIS_URL is set (the file is not consulted)", async () => {
    const base = await start('redis-or-file', { REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS_FILE: keysFile });
    expect(await status(base, inRedis.key)).to.equal(200);
    expect(await status(base, inFile.key)).to.equal(401);
  });

  it("'redis-or-file' falls back to API_KEYS_FILE without REDIS_URL", async () => {
    const base = await start('redis-or-file', { API_KEYS_FILE: keysFile });
    expect(await status(base, inFile.key)).to.equal(200);
    expect(await status(base, inRedis.key)).to.equal(401);
  });

  it('by default keeps reading API_KEYS_FILE even with REDIS_URL set, as before', async () => {
    const base = await start(undefined, { REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS_FILE: keysFile });
    expect(await status(base, inFile.key)).to.equal(200);
    expect(await status(base, inRedis.key)).to.equal(401);
  });

  it('takes a factory that builds the store from the runtime', async () => {
    const seen: string[] = [];
    const store: ApiKeyStore = { find: async (id) => (seen.push(id), id === inRedis.record.id ? inRedis.record : undefined) };
    let runtimeService: string | undefined;
    const base = await start((runtime) => ((runtimeService = runtime.edge.service.name), store), {});
    expect(runtimeService).to.equal('test-bff');
    expect(await status(base, inRedis.key)).to.equal(200);
    expect(seen).to.deep.equal([inRedis.record.id]);
  });

  it('answers 503 AUTH_UNAVAILABLE with Retry-After, not 401, while the Redis key store is unreachable', async () => {
    const base = await start('redis-or-file', { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_KEY_PREFIX: prefix }, false);
    const res = await send(base, '/keyed', { headers: { 'x-api-key': inRedis.key } });
    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('5');
    expect(res.json()).to.include({ type: 'urn:portico:problem:auth-unavailable' });
  });
});
