import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { isEdgeError } from '../../src/errors';
import { API_KEY_ISSUER, generateApiKey, hashApiKey, verifyApiKey, type ApiKeyRecord, type ApiKeyStore } from '../../src/auth/api-keys';
import { FileApiKeyStore, RedisApiKeyStore, type RedisHashClient } from '../../src/auth/api-key-stores';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number; detail?: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isEdgeError(err)) throw new Error(`expected an EdgeError, got ${String(err)}`);
  return { code: err.code, status: err.status, detail: err.detail };
}

describe('API keys', () => {
  describe('generateApiKey / hashApiKey', () => {
    it('issues pk_<id>_<secret> with a 32-byte base64url secret and a record holding only its SHA-256', () => {
      const { key, record } = generateApiKey({ owner: 'consumer-7', scopes: ['orders:read'], plan: 'pro', now: () => Date.UTC(2030, 0, 1) });
      expect(key).to.match(/^pk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key.slice(20), 'base64url')).to.have.length(32);
      expect(record).to.deep.equal({ id: key.slice(3, 19), hash: hashApiKey(key), owner: 'consumer-7', scopes: ['orders:read'], plan: 'pro', createdAt: '2030-01-01T00:00:00.000Z' });
      expect(JSON.stringify(record)).not.to.contain(key.slice(20));
    });
  });

  describe('FileApiKeyStore', () => {
    let dir: string;
    let file: string;
    const active = generateApiKey({ owner: 'consumer-1', scopes: ['orders:read'], plan: 'free' });
    const disabled = generateApiKey({ owner: 'consumer-2', scopes: [], plan: 'free' });

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'portico-api-keys-'));
      file = join(dir, 'api-keys.json');
      await writeFile(file, JSON.stringify({ keys: [active.record, { ...disabled.record, disabled: true }] }));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('stores hashes only: the file holds neither key nor secret', async () => {
      const text = await readFile(file, 'utf8');
      for (const { key } of [active, disabled]) {
        expect(text).not.to.contain(key);
        expect(text).not.to.contain(key.slice(20));
      }
      expect(text).to.contain(hashApiKey(active.key));
    });

    it('verifies a valid key into an api-key principal', async () => {
      const store = new FileApiKeyStore(file);
      await store.ready();
      expect(store.isReady()).to.equal(true);
      expect(await verifyApiKey(store, active.key)).to.deep.equal({
        kind: 'api-key',
        issuer: API_KEY_ISSUER,
        subject: 'consumer-1',
        clientId: active.record.id,
        scopes: ['orders:read'],
        roles: [],
        plan: 'free',
      });
    });

    it('refuses a wrong secret and an unknown id with the same answer, a disabled key, and a malformed key', async () => {
      const store = new FileApiKeyStore(file);
      const wrongSecret = `pk_${active.record.id}_${randomBytes(32).toString('base64url')}`;
      const unknownId = `pk_${'0'.repeat(16)}_${randomBytes(32).toString('base64url')}`;
      expect(await refusal(verifyApiKey(store, wrongSecret))).to.deep.equal({ code: 'INVALID_TOKEN', status: 401, detail: 'API key not recognised' });
      expect(await refusal(verifyApiKey(store, unknownId))).to.deep.equal({ code: 'INVALID_TOKEN', status: 401, detail: 'API key not recognised' });
      expect(await refusal(verifyApiKey(store, disabled.key))).to.include({ detail: 'API key disabled' });
      expect(await refusal(verifyApiKey(store, 'pk_nope'))).to.include({ detail: 'API key is malformed' });
    });

    it('refuses to start on an invalid file, naming it', async () => {
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify([{ id: 'x', key: 'pk_plaintext' }]));
      const err = await new FileApiKeyStore(bad).ready().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(err)).to.match(/API key file .*bad\.json is invalid/);
    });

    it('answers 503 AUTH_UNAVAILABLE when the store cannot be read', async () => {
      const broken: ApiKeyStore = { find: () => Promise.reject(new Error('ECONNREFUSED')) };
      expect(await refusal(verifyApiKey(broken, active.key))).to.include({ code: 'AUTH_UNAVAILABLE', status: 503 });
    });
  });

  describe('RedisApiKeyStore (real Redis)', () => {
    const prefix = `portico-test:${randomBytes(6).toString('hex')}:`;
    let redis: Redis;
    let store: RedisApiKeyStore;

    before(async () => {
      redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
      try {
        await redis.connect();
      } catch (err) {
        throw new Error(`Redis is unreachable at ${REDIS_URL}: ${String(err)}`);
      }
      store = new RedisApiKeyStore({ redis, keyPrefix: prefix });
    });
    const written: string[] = [];
    after(async () => {
      if (written.length) await redis.del(...written);
      redis.disconnect();
    });
    const put = async (record: ApiKeyRecord) => {
      written.push(`${prefix}api-key:${record.id}`);
      await store.put(record);
    };

    it('stores only the hash under the key prefix and verifies the key', async () => {
      const { key, record } = generateApiKey({ owner: 'consumer-9', scopes: ['menus:read', 'orders:read'], plan: 'partner' });
      await put(record);
      const stored = await redis.hgetall(`${prefix}api-key:${record.id}`);
      expect(stored.hash).to.equal(hashApiKey(key));
      expect(JSON.stringify(stored)).not.to.contain(key.slice(20));
      const principal = await verifyApiKey(store, key);
      expect(principal).to.include({ kind: 'api-key', subject: 'consumer-9', clientId: record.id, plan: 'partner' });
      expect(principal.scopes).to.deep.equal(['menus:read', 'orders:read']);
    });

    it('keeps a key read in the last hour working on its last record while Redis cannot answer; any other key is a 503', async () => {
      let clock = 1_000_000;
      let down = false;
      const lines: string[] = [];
      const logger = { warn: (_f: unknown, msg: string) => lines.push(msg), info: (_f: unknown, msg: string) => lines.push(msg) };
      const flaky: RedisHashClient = {
        hgetall: (key) => (down ? Promise.reject(new Error('Command timed out')) : redis.hgetall(key)),
        hset: (key, values) => redis.hset(key, values),
      };
      const kept = new RedisApiKeyStore({ redis: flaky, keyPrefix: prefix, staleForMs: 60_000, maxStale: 2, now: () => clock, logger: logger as never });
      const seen = generateApiKey({ owner: 'consumer-11', scopes: ['orders:read'] });
      const unseen = generateApiKey({ owner: 'consumer-12' });
      const deleted = generateApiKey({ owner: 'consumer-13' });
      for (const { record } of [seen, unseen, deleted]) await put(record);
      expect((await verifyApiKey(kept, seen.key)).subject).to.equal('consumer-11');
      expect((await verifyApiKey(kept, deleted.key)).subject).to.equal('consumer-13');
      await redis.del(`${prefix}api-key:${deleted.record.id}`);
      expect(await refusal(verifyApiKey(kept, deleted.key))).to.include({ code: 'INVALID_TOKEN' });

      down = true;
      clock += 59_000;
      const principal = await verifyApiKey(kept, seen.key);
      expect(principal).to.include({ subject: 'consumer-11', clientId: seen.record.id });
      expect(principal.scopes).to.deep.equal(['orders:read']);
      // The secret is still checked against the kept hash.
      expect(await refusal(verifyApiKey(kept, `pk_${seen.record.id}_${randomBytes(32).toString('base64url')}`))).to.include({ code: 'INVALID_TOKEN' });
      expect(await refusal(verifyApiKey(kept, unseen.key))).to.include({ code: 'AUTH_UNAVAILABLE' });
      expect(await refusal(verifyApiKey(kept, deleted.key))).to.include({ code: 'AUTH_UNAVAILABLE' });
      clock += 2_000; // read 61 s ago: older than staleForMs
      expect(await refusal(verifyApiKey(kept, seen.key))).to.include({ code: 'AUTH_UNAVAILABLE' });

      down = false;
      expect((await verifyApiKey(kept, seen.key)).subject).to.equal('consumer-11');
      expect(lines).to.deep.equal([
        'API key store unreachable: keys read recently keep working on their last record; others answer 503',
        'API key store reachable again: every lookup reads Redis',
      ]);
      const off = new RedisApiKeyStore({ redis: flaky, keyPrefix: prefix, staleForMs: 0 });
      expect((await verifyApiKey(off, seen.key)).subject).to.equal('consumer-11');
      down = true;
      expect(await refusal(verifyApiKey(off, seen.key))).to.include({ code: 'AUTH_UNAVAILABLE' });
    });

    it('refuses a wrong secret, an unknown id, and a key disabled after issue (no caching)', async () => {
      const { key, record } = generateApiKey({ owner: 'consumer-10' });
      await put(record);
      expect((await verifyApiKey(store, key)).subject).to.equal('consumer-10');
      expect(await refusal(verifyApiKey(store, `pk_${record.id}_${randomBytes(32).toString('base64url')}`))).to.include({ detail: 'API key not recognised' });
      expect(await store.find('ffffffffffffffff')).to.equal(undefined);
      await put({ ...record, disabled: true });
      expect(await refusal(verifyApiKey(store, key))).to.include({ code: 'INVALID_TOKEN', detail: 'API key disabled' });
    });
  });
});
