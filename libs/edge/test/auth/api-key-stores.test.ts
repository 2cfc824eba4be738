import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isEdgeError } from '../../src/errors';
import { generateApiKey, verifyApiKey, type ApiKeyRecord } from '../../src/auth/api-keys';
import { API_KEY_REDIS_NAMESPACE, apiKeyRedisKey, FileApiKeyStore } from '../../src/auth/api-key-stores';
import { recordingLogger } from './fixtures';

async function refusalDetail(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isEdgeError(err)) throw new Error(`expected an EdgeError, got ${String(err)}`);
  return err.detail;
}

describe('FileApiKeyStore (reloading)', () => {
  const INTERVAL = 100;
  let dir: string;
  let file: string;
  let logger: ReturnType<typeof recordingLogger>;
  let written = 0;
  const opened: FileApiKeyStore[] = [];
  const first = generateApiKey({ owner: 'c-1001', scopes: ['orders:read'], plan: 'free' });
  const second = generateApiKey({ owner: 'c-1002', scopes: ['orders:read', 'orders:write'], plan: 'partner' });
  const unknownKey = () => `pk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  // Long enough for the interval check to be due whether or not the folder watcher reported the change.
  const afterInterval = () => delay(INTERVAL + 10);

  // Written the way `npm run apikey` writes: a temp file renamed over the old one.
  async function replaceFile(content: unknown): Promise<void> {
    const temp = `${file}.${++written}.tmp`;
    await writeFile(temp, typeof content === 'string' ? content : JSON.stringify(content));
    await rename(temp, file);
  }

  async function openStore(records: ApiKeyRecord[], recheckIntervalMs = INTERVAL): Promise<FileApiKeyStore> {
    await replaceFile(records);
    const store = new FileApiKeyStore(file, { logger, recheckIntervalMs });
    opened.push(store);
    await store.ready();
    return store;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-api-key-reload-'));
    file = join(dir, 'api-keys.json');
    logger = recordingLogger();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a key appended to the file after start-up without a restart', async () => {
    const store = await openStore([first.record]);
    expect(await refusalDetail(verifyApiKey(store, second.key))).to.equal('API key not recognised');
    await replaceFile([first.record, second.record]);
    await afterInterval();
    const principal = await verifyApiKey(store, second.key);
    expect(principal).to.include({ subject: 'c-1002', clientId: second.record.id, plan: 'partner' });
    expect(principal.scopes).to.deep.equal(['orders:read', 'orders:write']);
    expect((await verifyApiKey(store, first.key)).subject).to.equal('c-1001');
    expect(store.stats.loads).to.equal(2);
  });

  it('picks a new key up at once through the folder watcher, without waiting for the interval', async () => {
    const store = await openStore([first.record], 60_000);
    await store.find(second.record.id);
    expect(store.stats.checks).to.equal(1);
    await replaceFile([first.record, second.record]);
    const deadline = Date.now() + 2000;
    while (!(await store.find(second.record.id)) && Date.now() < deadline) await delay(10);
    expect((await verifyApiKey(store, second.key)).subject).to.equal('c-1002');
  });

  it('also notices an in-place rewrite of the same file', async () => {
    const store = await openStore([first.record]);
    await writeFile(file, JSON.stringify({ keys: [first.record, second.record] }));
    await afterInterval();
    expect((await verifyApiKey(store, second.key)).subject).to.equal('c-1002');
  });

  it('lets concurrent lookups of unknown ids share one check and one reload', async () => {
    const store = await openStore([first.record]);
    await replaceFile([first.record, second.record]);
    await afterInterval();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? verifyApiKey(store, second.key) : store.find(unknownKey().slice(3, 19)))));
    expect(results.filter((r) => r && 'subject' in r && r.subject === 'c-1002')).to.have.length(10);
    expect(store.stats).to.deep.equal({ checks: 1, loads: 2 });
  });

  it('checks an unchanged file at most once per interval however many unknown ids arrive, and never re-reads it', async () => {
    const store = await openStore([first.record], 500);
    const started = performance.now();
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 25 }, () => verifyApiKey(store, unknownKey()).catch((e: unknown) => e)));
      expect(answers.every((e) => isEdgeError(e) && e.code === 'INVALID_TOKEN')).to.equal(true);
    }
    // No lookup waited for the interval to pass.
    expect(performance.now() - started).to.be.below(500);
    expect(store.stats.checks).to.equal(1);
    await delay(510);
    await store.find('ffffffffffffffff');
    expect(store.stats).to.deep.equal({ checks: 2, loads: 1 });
  });

  it('answers known ids at once and checks the file in the background at most once per interval', async () => {
    const store = await openStore([first.record], 500);
    for (let i = 0; i < 100; i++) await store.find(first.record.id);
    await store.recheck();
    expect(store.stats.checks).to.equal(1);
  });

  it('keeps the previous records in force when the file becomes invalid, logs once, and recovers when it is fixed', async () => {
    const store = await openStore([first.record]);
    await replaceFile('[{"id": "x", "key": "pk_plaintext"');
    for (let i = 0; i < 3; i++) {
      await afterInterval();
      expect(await refusalDetail(verifyApiKey(store, second.key))).to.equal('API key not recognised');
    }
    expect(store.stats.checks).to.equal(3);
    expect((await verifyApiKey(store, first.key)).subject).to.equal('c-1001');
    expect(logger.warnings).to.have.length(1);
    expect(logger.warnings[0]?.msg).to.match(/previously loaded keys stay in force/);
    expect(String((logger.warnings[0]?.obj as { err?: unknown }).err)).to.match(/api-keys\.json could not be read/);

    await replaceFile([{ ...first.record, hash: 'not-a-hash' }]);
    await afterInterval();
    expect(await refusalDetail(verifyApiKey(store, second.key))).to.equal('API key not recognised');
    expect(logger.warnings).to.have.length(2);
    expect(String((logger.warnings[1]?.obj as { err?: unknown }).err)).to.match(/is invalid: 0\.hash/);
    expect(store.isReady()).to.equal(true);

    await replaceFile([first.record, second.record]);
    await afterInterval();
    expect((await verifyApiKey(store, second.key)).subject).to.equal('c-1002');
    expect(logger.warnings).to.have.length(2);
  });

  it('keeps the previous records when the file disappears', async () => {
    const store = await openStore([first.record]);
    await unlink(file);
    await afterInterval();
    expect(await store.find(second.record.id)).to.equal(undefined);
    expect((await verifyApiKey(store, first.key)).subject).to.equal('c-1001');
    expect(logger.warnings).to.have.length(1);
  });

  it('stops accepting a key disabled in the file once a lookup has triggered the background check', async () => {
    const store = await openStore([first.record]);
    await replaceFile([{ ...first.record, disabled: true }]);
    await afterInterval();
    // A known id answers at once from the loaded records and starts the check.
    expect((await verifyApiKey(store, first.key)).subject).to.equal('c-1001');
    await store.recheck();
    expect(store.stats.loads).to.equal(2);
    expect(await refusalDetail(verifyApiKey(store, first.key))).to.equal('API key disabled');
  });

  it('rejects ready() for a file that is invalid at start-up, naming it', async () => {
    await replaceFile({ keys: 'none' });
    const store = new FileApiKeyStore(file);
    opened.push(store);
    const err = await store.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).to.match(/API key file .*api-keys\.json is invalid/);
  });
});

describe('apiKeyRedisKey', () => {
  it('puts the api-key namespace between REDIS_KEY_PREFIX and the id', () => {
    expect(API_KEY_REDIS_NAMESPACE).to.equal('api-key:');
    expect(apiKeyRedisKey('portico:', '0123456789abcdef')).to.equal('portico:api-key:0123456789abcdef');
  });
});
