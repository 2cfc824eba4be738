import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import {
  apiKeyRedisKey,
  createAuthenticator,
  FileApiKeyStore,
  hashApiKey,
  loadConfig,
  RedisApiKeyStore,
  verifyApiKey,
  type Authenticator,
  type EdgeLogger,
  type Principal,
} from '@portico/edge';
import type { ServiceSpec } from '../../scripts/fleet-plan.mjs' with { 'resolution-mode': 'import' };

// scripts/ is ESM; this test is CommonJS, so the fleet plan is loaded with import() before the tests run.
type FleetPlan = typeof import('../../scripts/fleet-plan.mjs', { with: { 'resolution-mode': 'import' } });
type LocalDev = typeof import('../../scripts/local-dev.mjs', { with: { 'resolution-mode': 'import' } });
let plan: FleetPlan;
let local: LocalDev;

const REPO_ROOT = join(__dirname, '..', '..');
const EDGE_DIST = join(REPO_ROOT, 'libs', 'edge', 'dist', 'index.js');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY_FORMAT = /^pk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})\n$/;
const silent: EdgeLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// A developer's shell must not change what the commands do, and the test runner's source condition must not reach them.
const SCRUBBED = ['NODE_OPTIONS', 'NODE_ENV', 'REDIS_URL', 'REDIS_KEY_PREFIX', 'API_KEYS_FILE'];

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SCRUBBED.includes(name)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', script), ...args], {
      cwd: REPO_ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Exactly the settings `make dev` gives a JWT-verifying BFF (fleet-plan.mjs), read through loadConfig like a service does.
function fleetAuthenticator(bff: string): Authenticator {
  const spec: ServiceSpec = { name: bff, kind: 'bff', dir: REPO_ROOT, defaultPort: 1, packageName: bff, entry: '' };
  const env = plan.serviceEnv(spec, [spec], new Map([[bff, 0]]));
  expect(env).to.include({ JWT_ISSUER: local.LOCAL_JWT_ISSUER, JWT_SECRET: local.LOCAL_JWT_SECRET, JWT_AUDIENCE: local.LOCAL_JWT_AUDIENCES[bff] });
  return createAuthenticator(loadConfig({ serviceName: bff }, env).edge.auth, { logger: silent });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected a refusal');
  return String((err as { detail?: string }).detail ?? err);
}

describe('local credentials CLI (npm run token / npm run apikey)', function () {
  this.timeout(30000);

  before(async () => {
    if (!existsSync(EDGE_DIST)) throw new Error('libs/edge/dist is missing: run `npx tsc -b` first (the commands run against the compiled libraries)');
    plan = await import('../../scripts/fleet-plan.mjs');
    local = await import('../../scripts/local-dev.mjs');
  });

  describe('scripts/token.mjs', () => {
    let mobile: Authenticator;
    let web: Authenticator;
    before(() => {
      mobile = fleetAuthenticator('mobile-bff');
      web = fleetAuthenticator('web-bff');
    });
    after(async () => {
      await mobile.close();
      await web.close();
    });

    it('prints only a token the local mobile BFF accepts, with the default scopes and role and a 1 h lifetime', async () => {
      const { code, stdout, stderr } = await run('token.mjs', ['--aud', 'mobile', '--sub', 'c-1001']);
      expect(code).to.equal(0);
      expect(stdout).to.match(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      expect(stderr.trim().split('\n')).to.have.length(1);
      expect(stderr).to.contain('c-1001');
      const principal: Principal = await mobile.verifyBearer(stdout.trim());
      expect(principal).to.include({ kind: 'jwt', issuer: 'portico-local', subject: 'c-1001' });
      expect(principal.scopes).to.deep.equal(['orders:read', 'orders:write']);
      expect(principal.roles).to.deep.equal(['consumer']);
      expect((principal.expiresAt ?? 0) - Date.now() / 1000).to.be.within(3590, 3601);
    });

    it('honours --scope, --roles and --ttl, and a web token is refused by the mobile BFF but accepted by the web BFF', async () => {
      const { code, stdout } = await run('token.mjs', [
        '--aud',
        'web',
        '--sub',
        'c-1002',
        '--scope',
        'orders:read menus:read',
        '--roles',
        'consumer,tester',
        '--ttl',
        '15m',
      ]);
      expect(code).to.equal(0);
      const principal = await web.verifyBearer(stdout.trim());
      expect(principal).to.include({ subject: 'c-1002' });
      expect(principal.scopes).to.deep.equal(['orders:read', 'menus:read']);
      expect(principal.roles).to.deep.equal(['consumer', 'tester']);
      expect((principal.expiresAt ?? 0) - Date.now() / 1000).to.be.within(890, 901);
      expect(await refusal(mobile.verifyBearer(stdout.trim()))).to.equal('audience not accepted');
    });

    it('issues a 24 h token the edge still accepts, and refuses --ttl 48h with usage and exit 2', async () => {
      const longest = await run('token.mjs', ['--aud', 'mobile', '--sub', 'c-1003', '--ttl', '24h']);
      expect(longest.code).to.equal(0);
      expect((await mobile.verifyBearer(longest.stdout.trim())).subject).to.equal('c-1003');
      const tooLong = await run('token.mjs', ['--aud', 'mobile', '--sub', 'c-1003', '--ttl', '48h']);
      expect(tooLong).to.include({ code: 2, stdout: '' });
      expect(tooLong.stderr).to.contain('longer than 24h').and.to.contain('usage:');
    });

    it('exits 2 with usage when --sub is missing or an option is unknown', async () => {
      const missing = await run('token.mjs', ['--aud', 'mobile']);
      expect(missing).to.include({ code: 2, stdout: '' });
      expect(missing.stderr).to.contain('--sub is required').and.to.contain('usage: npm run -s token');
      const unknown = await run('token.mjs', ['--aud', 'mobile', '--sub', 'c-1001', '--admin']);
      expect(unknown).to.include({ code: 2, stdout: '' });
    });

    it('warns about an audience no local BFF has but still prints a token', async () => {
      const { code, stdout, stderr } = await run('token.mjs', ['--aud', 'tv', '--sub', 'c-1001']);
      expect(code).to.equal(0);
      expect(stderr).to.match(/warning: "tv" is not an audience of the local fleet/);
      expect(await refusal(mobile.verifyBearer(stdout.trim()))).to.equal('audience not accepted');
    });

    it('refuses to run with NODE_ENV=production', async () => {
      const result = await run('token.mjs', ['--aud', 'mobile', '--sub', 'c-1001'], { NODE_ENV: 'production' });
      expect(result).to.include({ code: 1, stdout: '' });
      expect(result.stderr).to.contain('NODE_ENV=production');
    });
  });

  describe('scripts/apikey.mjs with a key file', () => {
    let dir: string;
    let file: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'portico-apikey-cli-'));
      file = join(dir, 'nested', 'api-keys.json');
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('prints the key once, stores only its hash (mode 0600), and a running FileApiKeyStore accepts later keys without a restart', async () => {
      const first = await run('apikey.mjs', ['--consumer', 'c-1001', '--plan', 'partner'], { API_KEYS_FILE: file });
      expect(first.code, first.stderr).to.equal(0);
      const firstKey = first.stdout.match(KEY_FORMAT);
      expect(firstKey, first.stdout).to.not.equal(null);
      expect(first.stderr).to.contain(firstKey?.[1]).and.to.contain('c-1001').and.to.contain('partner');

      const store = new FileApiKeyStore(file, { logger: silent });
      await store.ready();
      const principal = await verifyApiKey(store, first.stdout.trim());
      expect(principal).to.include({ kind: 'api-key', subject: 'c-1001', clientId: firstKey?.[1], plan: 'partner' });
      expect(principal.scopes).to.deep.equal(['orders:read', 'orders:write']);

      const second = await run('apikey.mjs', ['--consumer', 'c-1002', '--scopes', 'orders:read'], { API_KEYS_FILE: file });
      expect(second.code, second.stderr).to.equal(0);
      const added = await verifyApiKey(store, second.stdout.trim());
      expect(added).to.include({ subject: 'c-1002', plan: 'free' });
      expect(added.scopes).to.deep.equal(['orders:read']);

      const text = await readFile(file, 'utf8');
      expect(JSON.parse(text)).to.have.length(2);
      for (const { stdout } of [first, second]) {
        expect(text).not.to.contain(stdout.trim());
        expect(text).not.to.contain(stdout.trim().slice(20));
        expect(text).to.contain(hashApiKey(stdout.trim()));
      }
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
    });

    it('exits 2 with usage for an unknown plan or a missing consumer, writing nothing', async () => {
      const other = join(dir, 'untouched.json');
      const badPlan = await run('apikey.mjs', ['--consumer', 'c-1001', '--plan', 'gold'], { API_KEYS_FILE: other });
      expect(badPlan).to.include({ code: 2, stdout: '' });
      expect(badPlan.stderr).to.contain('--plan').and.to.contain('usage:');
      const noConsumer = await run('apikey.mjs', [], { API_KEYS_FILE: other });
      expect(noConsumer).to.include({ code: 2, stdout: '' });
      expect(existsSync(other)).to.equal(false);
    });
  });

  describe('scripts/apikey.mjs with REDIS_URL (real Redis)', () => {
    const prefix = `portico-test:${randomBytes(6).toString('hex')}:`;
    const written: string[] = [];
    let redis: Redis;
    let dir: string;

    before(async () => {
      redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
      try {
        await redis.connect();
      } catch (err) {
        throw new Error(`Redis is unreachable at ${REDIS_URL}: ${String(err)}`);
      }
      dir = await mkdtemp(join(tmpdir(), 'portico-apikey-redis-'));
    });
    after(async () => {
      if (written.length) await redis.del(...written);
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    });

    it('stores the record under REDIS_KEY_PREFIX where RedisApiKeyStore finds it, and writes no key file', async () => {
      const file = join(dir, 'api-keys.json');
      const result = await run('apikey.mjs', ['--consumer', 'c-1003', '--plan', 'standard'], { REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS_FILE: file });
      expect(result.code, result.stderr).to.equal(0);
      const id = result.stdout.match(KEY_FORMAT)?.[1] ?? '';
      written.push(apiKeyRedisKey(prefix, id));
      const principal = await verifyApiKey(new RedisApiKeyStore({ redis, keyPrefix: prefix }), result.stdout.trim());
      expect(principal).to.include({ kind: 'api-key', subject: 'c-1003', clientId: id, plan: 'standard' });
      const stored = await redis.hgetall(apiKeyRedisKey(prefix, id));
      expect(stored.hash).to.equal(hashApiKey(result.stdout.trim()));
      expect(JSON.stringify(stored)).not.to.contain(result.stdout.trim().slice(20));
      expect(existsSync(file)).to.equal(false);
    });
  });
});
