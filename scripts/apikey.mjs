#!/usr/bin/env node
/**
 * `npm run apikey -- --consumer c-1001 --plan partner`: creates a public-API key for local development and stores its
 * record (the SHA-256 only) where the local public API reads keys: Redis when REDIS_URL is set, else the key file
 * (API_KEYS_FILE, default .local/api-keys.json). Prints the key once on stdout. Checking keys is the edge's job.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseList, parseOptions, refuseInProduction, runCommand, UsageError } from './cli-args.mjs';
import { REPO_ROOT } from './fleet-plan.mjs';

const COMMAND = 'apikey';
const PLANS = ['free', 'standard', 'partner'];
/** Where keys go without REDIS_URL or API_KEYS_FILE (ignored by git). */
const DEFAULT_KEYS_FILE = join(REPO_ROOT, '.local', 'api-keys.json');
const EDGE_DIST = join(REPO_ROOT, 'libs', 'edge', 'dist', 'index.js');

const USAGE = `usage: npm run -s apikey -- --consumer <consumerId> [--plan <${PLANS.join('|')}>] [--scopes "<list>"]

Creates a public-API key and prints it once on stdout; only its hash is stored.

  --consumer <id>    the consumer the key belongs to, e.g. c-1001 (required; seeded: c-1001 c-1002 c-1003)
  --plan <plan>      rate-limit plan: ${PLANS.join(', ')} (default free)
  --scopes <list>    space-separated scopes (default "orders:read orders:write")

Stored in Redis under REDIS_KEY_PREFIX when REDIS_URL is set, otherwise appended to
API_KEYS_FILE (default ${displayPath(DEFAULT_KEYS_FILE)}).

example: KEY=$(npm run -s apikey -- --consumer c-1001 --plan standard)`;

const OPTIONS = {
  consumer: { type: 'string' },
  plan: { type: 'string', default: 'free' },
  scopes: { type: 'string', default: 'orders:read orders:write' },
};

// Relative to where the command ran when that is shorter to read, else absolute.
function displayPath(file) {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

// The compiled edge library, loaded by path so the key format, record schema and Redis layout are the ones the services use.
function loadEdge() {
  if (!existsSync(EDGE_DIST)) throw new Error(`${relative(REPO_ROOT, EDGE_DIST)} is missing; run \`npx tsc -b\` first`);
  return createRequire(import.meta.url)(EDGE_DIST);
}

const SILENT = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

// Connected the way the services connect (createRedisClient: standalone, Sentinel or Cluster), but given up after 3 s.
async function storeInRedis(edge, record, env) {
  const url = edge.edgeEnvShape.REDIS_URL.safeParse(env.REDIS_URL);
  if (!url.success) throw new Error(`REDIS_URL: expected a URL like redis://127.0.0.1:6379, got "${edge.describeRedisTarget(env.REDIS_URL)}"`);
  // The same default the services apply (edge-config.ts), so the key lands where the public API looks.
  const keyPrefix = edge.edgeEnvShape.REDIS_KEY_PREFIX.parse(env.REDIS_KEY_PREFIX || undefined);
  const where = edge.describeRedisTarget(url.data);
  const redis = edge.createRedisClient({ url: url.data, keyPrefix, commandTimeoutMs: 2000 }, SILENT, {
    connectTimeoutMs: 2000,
    connectionName: 'portico-apikey',
  });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no connection within 3 s')), 3000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      redis.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis is unreachable at ${where}: ${err.code ?? err.message}`);
  }
  try {
    await new edge.RedisApiKeyStore({ redis, keyPrefix }).put(record);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
  return `Redis ${where} key ${edge.apiKeyRedisKey(keyPrefix, record.id)}`;
}

// One writer at a time: a lock file created exclusively, waited for at most 5 s, broken when older than 30 s.
async function withLock(file, fn) {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 30_000) await unlink(lock).catch(() => undefined);
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another writer; remove it if no \`npm run apikey\` is running`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

// The file's records in the shape it already has (an array, or `{ "keys": [...] }`); an unusable file is never overwritten.
async function readKeyFile(edge, file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return { wrap: (keys) => keys, keys: [] };
    throw err;
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${err.message.split('\n')[0]}); fix or remove it`);
  }
  const wrapped = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  const list = edge.apiKeyRecordSchema.array().safeParse(wrapped ? parsed.keys : parsed);
  if (!list.success) throw new Error(`${file} does not hold a list of API key records (${list.error.issues[0]?.message}); fix or remove it`);
  return { wrap: wrapped ? (keys) => ({ ...parsed, keys }) : (keys) => keys, keys: list.data };
}

// Temp file in the same folder, flushed, then renamed over the old one: a reader sees the old file or the new one, never half.
async function writeAtomically(file, text) {
  const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.api-keys.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

async function storeInFile(edge, record, env) {
  const file = env.API_KEYS_FILE ? resolve(env.API_KEYS_FILE) : DEFAULT_KEYS_FILE;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await withLock(file, async () => {
    const { wrap, keys } = await readKeyFile(edge, file);
    await writeAtomically(file, `${JSON.stringify(wrap([...keys, record]), null, 2)}\n`);
  });
  return displayPath(file);
}

await runCommand(COMMAND, USAGE, async (argv) => {
  refuseInProduction(COMMAND);
  const values = parseOptions(argv, { options: OPTIONS, required: ['consumer'], allowEmpty: ['scopes'], usage: USAGE });
  if (!PLANS.includes(values.plan)) throw new UsageError(`--plan: expected one of ${PLANS.join(', ')}, got "${values.plan}"`);
  const edge = loadEdge();
  const { key, record } = edge.generateApiKey({ owner: values.consumer.trim(), plan: values.plan, scopes: parseList(values.scopes) });
  const where = process.env.REDIS_URL ? await storeInRedis(edge, record, process.env) : await storeInFile(edge, record, process.env);
  process.stdout.write(`${key}\n`);
  process.stderr.write(
    `${COMMAND}: key id ${record.id} for consumer ${record.owner}, plan ${record.plan}, scopes "${record.scopes.join(' ')}" stored in ${where}; ` +
      `the key is shown only once; send it as "X-API-Key: $KEY"\n`,
  );
});
