/**
 * Where API key records live: a JSON file (re-read when it changes, so new keys work without a restart) or Redis
 * hashes under a key prefix. Key checks are api-keys.ts's job; writing records is the issuer's (`npm run apikey`).
 */
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { EdgeLogger } from '../state';
import { apiKeyRecordSchema, type ApiKeyRecord, type ApiKeyStore } from './api-keys';

/** Settings of a FileApiKeyStore. */
export interface FileApiKeyStoreOptions {
  /** Where a file that changed but cannot be used is reported; the previous records stay in force. */
  logger?: EdgeLogger;
  /** Shortest time between two checks of the file not prompted by the folder watcher, ms (default 1000). */
  recheckIntervalMs?: number;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
}

// What identifies one version of the file: an atomic rename changes the inode, an in-place write the size or mtime.
function versionOf(stat: Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

/**
 * A store reading a JSON array of ApiKeyRecords (or `{ "keys": [...] }`); call ready() at start-up. Keys added
 * while the service runs work without a restart: a lookup of an unknown id checks the file's inode, size and mtime
 * and re-reads it when it changed. Checks run when the folder watcher saw the file change, else at most once per
 * `recheckIntervalMs`, and concurrent lookups share one, so a flood of unknown ids costs one stat per interval and
 * never waits. A known id answers at once and starts a check in the background when one is due, so a key disabled
 * in the file stops working promptly. A changed file that cannot be read or validated is logged once and the
 * previous records stay in force. The folder, not the file, is watched: writers replace the file by renaming.
 */
export class FileApiKeyStore implements ApiKeyStore {
  /** Counters for tests and debugging: file checks (stat) made and successful (re)loads. */
  readonly stats = { checks: 0, loads: 0 };
  private records: Map<string, ApiKeyRecord> | undefined;
  private loading: Promise<void> | undefined;
  private checking: Promise<void> | undefined;
  private version: string | undefined;
  private rejectedVersion: string | undefined;
  private lastCheckAt = Number.NEGATIVE_INFINITY;
  private changed = false;
  private watcher: FSWatcher | undefined;
  private readonly now: () => number;
  private readonly recheckIntervalMs: number;

  constructor(
    private readonly path: string,
    private readonly options: FileApiKeyStoreOptions = {},
  ) {
    // Monotonic by default: a wall-clock step backwards must not stop the checks.
    this.now = options.now ?? (() => performance.now());
    this.recheckIntervalMs = options.recheckIntervalMs ?? 1000;
  }

  /** Reads and validates the file (once) and starts watching its folder; rejects naming the file and the first problems. */
  ready(): Promise<void> {
    this.loading ??= (async () => {
      this.watch();
      this.apply(await this.load());
    })();
    return this.loading;
  }

  /** True once the file has been read. */
  isReady(): boolean {
    return this.records !== undefined;
  }

  /** The record for `id`; waits for the file on first use, and looks at the file again before answering "unknown" when a check is due. */
  async find(id: string): Promise<ApiKeyRecord | undefined> {
    if (!this.records) await this.ready();
    const known = this.records?.get(id);
    if (known) {
      if (this.due()) void this.recheck();
      return known;
    }
    if (this.checking) await this.checking;
    if (this.due()) await this.recheck();
    return this.records?.get(id);
  }

  /** Checks the file now (joining a check already running) and re-reads it if it changed; never rejects. */
  recheck(): Promise<void> {
    if (!this.records) return Promise.resolve();
    this.checking ??= (async () => {
      this.changed = false;
      this.lastCheckAt = this.now();
      await this.reloadIfChanged();
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  /** Stops watching the folder (the interval checks still work). */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private due(): boolean {
    return !this.checking && (this.changed || this.now() - this.lastCheckAt >= this.recheckIntervalMs);
  }

  // Best effort: where watching is unsupported or fails, the interval checks alone pick changes up.
  private watch(): void {
    try {
      const name = basename(this.path);
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.changed = true;
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  private async reloadIfChanged(): Promise<void> {
    this.stats.checks++;
    let version: string;
    try {
      version = versionOf(await stat(this.path));
    } catch (err) {
      this.reject(`stat:${(err as NodeJS.ErrnoException).code ?? 'error'}`, err);
      return;
    }
    if (version === this.version || version === this.rejectedVersion) return;
    try {
      this.apply(await this.load());
    } catch (err) {
      this.reject(version, err);
    }
  }

  // Logged once per bad version of the file, not once per lookup.
  private reject(version: string, err: unknown): void {
    if (version === this.rejectedVersion) return;
    this.rejectedVersion = version;
    this.options.logger?.warn(
      { err, path: this.path, keys: this.records?.size ?? 0 },
      'API key file changed but cannot be used; the previously loaded keys stay in force',
    );
  }

  private apply(loaded: { records: Map<string, ApiKeyRecord>; version: string }): void {
    this.records = loaded.records;
    this.version = loaded.version;
    this.rejectedVersion = undefined;
    this.stats.loads++;
  }

  private async load(): Promise<{ records: Map<string, ApiKeyRecord>; version: string }> {
    let parsed: unknown;
    let version: string;
    try {
      // One handle for stat and read, so the version recorded is the version parsed.
      const handle = await open(this.path, 'r');
      try {
        version = versionOf(await handle.stat());
        parsed = JSON.parse(await handle.readFile('utf8'));
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw new Error(`API key file ${this.path} could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const list = z.union([z.array(apiKeyRecordSchema), z.object({ keys: z.array(apiKeyRecordSchema) }).transform((v) => v.keys)]).safeParse(parsed);
    if (!list.success) {
      const problems = list.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new Error(`API key file ${this.path} is invalid: ${problems.join('; ')}`);
    }
    return { records: new Map(list.data.map((record) => [record.id, record])), version };
  }
}

/** What RedisApiKeyStore puts between REDIS_KEY_PREFIX and a key id: `portico:` + this + id. */
export const API_KEY_REDIS_NAMESPACE = 'api-key:';

/** The Redis key holding the record of API key `id` under `keyPrefix` (REDIS_KEY_PREFIX, e.g. `portico:`). */
export function apiKeyRedisKey(keyPrefix: string, id: string): string {
  return `${keyPrefix}${API_KEY_REDIS_NAMESPACE}${id}`;
}

/** The two ioredis commands RedisApiKeyStore uses; an ioredis Redis or Cluster satisfies it. */
export interface RedisHashClient {
  hgetall(key: string): Promise<Record<string, string>>;
  hset(key: string, values: Record<string, string>): Promise<number>;
}

/** Settings of a RedisApiKeyStore. */
export interface RedisApiKeyStoreOptions {
  redis: RedisHashClient;
  /** Prefix of every key, e.g. `portico:` → `portico:api-key:<id>`. */
  keyPrefix: string;
  /** How long a record read from Redis still answers while Redis cannot be reached, ms (default 1 h, as stale JWKS keys; 0 turns it off). */
  staleForMs?: number;
  /** Most records kept for that, least recently used dropped first (default 10,000). */
  maxStale?: number;
  /** Gets one line when lookups start answering from kept records, and one when Redis answers again. */
  logger?: EdgeLogger;
  now?: () => number;
}

/** docs/edge-defaults.md › Authentication: what a credential store outage leaves working. */
export const API_KEY_STALE_DEFAULTS = Object.freeze({ staleForMs: 60 * 60_000, maxStale: 10_000 });

interface KeptRecord {
  record: ApiKeyRecord;
  readAt: number;
}

/**
 * A store keeping each record in a Redis hash `<prefix>api-key:<id>`. Lookups go to Redis every time, so disabling a
 * key takes effect at once. While Redis cannot be reached, a key whose record was read within `staleForMs` keeps
 * working on that record (as cached JWKS keys do while an issuer is down); any other key cannot be checked and
 * find() rejects (503 AUTH_UNAVAILABLE). A key found absent is forgotten, so a deleted key never comes back.
 */
export class RedisApiKeyStore implements ApiKeyStore {
  private readonly kept: LRUCache<string, KeptRecord> | undefined;
  private readonly staleForMs: number;
  private readonly now: () => number;
  private servingStale = false;

  constructor(private readonly options: RedisApiKeyStoreOptions) {
    this.staleForMs = options.staleForMs ?? API_KEY_STALE_DEFAULTS.staleForMs;
    this.now = options.now ?? Date.now;
    if (this.staleForMs > 0) this.kept = new LRUCache({ max: options.maxStale ?? API_KEY_STALE_DEFAULTS.maxStale });
  }

  /** The record for `id`, or undefined; a malformed stored record is treated as absent. Rejects when Redis cannot answer and no recent record is kept. */
  async find(id: string): Promise<ApiKeyRecord | undefined> {
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.read(id);
    } catch (err) {
      const kept = this.kept?.get(id);
      if (!kept || this.now() - kept.readAt > this.staleForMs) throw err;
      if (!this.servingStale) {
        this.servingStale = true;
        this.options.logger?.warn(
          { err: (err as Error)?.message, staleForMs: this.staleForMs },
          'API key store unreachable: keys read recently keep working on their last record; others answer 503',
        );
      }
      return kept.record;
    }
    if (this.servingStale) {
      this.servingStale = false;
      this.options.logger?.info({}, 'API key store reachable again: every lookup reads Redis');
    }
    if (record) this.kept?.set(id, { record, readAt: this.now() });
    else this.kept?.delete(id);
    return record;
  }

  private async read(id: string): Promise<ApiKeyRecord | undefined> {
    const fields = await this.options.redis.hgetall(this.keyOf(id));
    if (!fields || Object.keys(fields).length === 0) return undefined;
    let scopes: unknown;
    try {
      scopes = JSON.parse(fields.scopes ?? '[]');
    } catch {
      return undefined;
    }
    const record = apiKeyRecordSchema.safeParse({
      id: fields.id,
      hash: fields.hash,
      owner: fields.owner,
      scopes,
      plan: fields.plan,
      createdAt: fields.createdAt,
      ...(fields.disabled === 'true' ? { disabled: true } : {}),
    });
    return record.success ? record.data : undefined;
  }

  /** Stores (or replaces) a record, e.g. right after generateApiKey(). */
  async put(record: ApiKeyRecord): Promise<void> {
    const valid = apiKeyRecordSchema.parse(record);
    await this.options.redis.hset(this.keyOf(valid.id), {
      id: valid.id,
      hash: valid.hash,
      owner: valid.owner,
      scopes: JSON.stringify(valid.scopes),
      plan: valid.plan,
      createdAt: valid.createdAt,
      disabled: valid.disabled ? 'true' : 'false',
    });
  }

  private keyOf(id: string): string {
    return apiKeyRedisKey(this.options.keyPrefix, id);
  }
}
