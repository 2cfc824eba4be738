/** Where API key records live: a JSON file read once at start-up, or Redis hashes under a key prefix. Key checks are api-keys.ts's job. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { apiKeyRecordSchema, type ApiKeyRecord, type ApiKeyStore } from './api-keys';

/** A store reading a JSON array of ApiKeyRecords (or `{ "keys": [...] }`) once; call ready() at start-up. */
export class FileApiKeyStore implements ApiKeyStore {
  private records: Map<string, ApiKeyRecord> | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly path: string) {}

  /** Reads and validates the file (once); rejects naming the file and the first problems. */
  ready(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  /** True once the file has been read. */
  isReady(): boolean {
    return this.records !== undefined;
  }

  /** The record for `id`; waits for the file on first use. */
  async find(id: string): Promise<ApiKeyRecord | undefined> {
    if (!this.records) await this.ready();
    return this.records?.get(id);
  }

  private async load(): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.path, 'utf8'));
    } catch (err) {
      throw new Error(`API key file ${this.path} could not be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const list = z.union([z.array(apiKeyRecordSchema), z.object({ keys: z.array(apiKeyRecordSchema) }).transform((v) => v.keys)]).safeParse(parsed);
    if (!list.success) {
      const problems = list.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new Error(`API key file ${this.path} is invalid: ${problems.join('; ')}`);
    }
    this.records = new Map(list.data.map((record) => [record.id, record]));
  }
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
}

/** A store keeping each record in a Redis hash `<prefix>api-key:<id>`; lookups go to Redis every time, so disabling a key takes effect at once. */
export class RedisApiKeyStore implements ApiKeyStore {
  constructor(private readonly options: RedisApiKeyStoreOptions) {}

  /** The record for `id`, or undefined; a malformed stored record is treated as absent. */
  async find(id: string): Promise<ApiKeyRecord | undefined> {
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
    return `${this.options.keyPrefix}api-key:${id}`;
  }
}
