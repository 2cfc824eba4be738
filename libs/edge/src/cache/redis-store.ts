/**
 * CacheStore on Redis: one key per entry with a PX TTL, the entry packed into one binary-safe value.
 * Timeouts are the client's (BoundedRedis in a BFF), reconnects the shared client's; what a failure means for the
 * request is the middleware's call.
 */
import type { CacheEntry, CacheStore, StoredHeaders } from './store';

/** The two commands the cache sends: an ioredis client, or the shared one behind BoundedRedis (redis/bounded-redis.ts). */
export interface CacheRedisClient {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, px: 'PX', ttlMs: number): Promise<unknown>;
}

/** Collaborators for a RedisCacheStore, created once at start-up. */
export interface RedisCacheStoreDeps {
  /** The shared client (offline queue off and a command timeout, so a dead Redis fails fast), as BoundedRedis in a BFF. */
  redis: CacheRedisClient;
  /** Prepended to every key, e.g. `portico:mobile-bff:`; entries live under `<prefix>cache:`. */
  keyPrefix: string;
}

// Value layout: version byte, 4-byte big-endian length of a JSON head, the head, then the raw body bytes.
// Bodies stay binary (no base64 growth); a value with another version byte reads as a miss.
const FORMAT_VERSION = 1;
const PREAMBLE = 5;

interface EntryHead {
  s: number;
  h: StoredHeaders;
  t: number;
}

/** Packs an entry into one Buffer: version, head length, JSON head, body. */
export function encodeEntry(entry: CacheEntry): Buffer {
  const head = Buffer.from(JSON.stringify({ s: entry.status, h: entry.headers, t: entry.storedAt } satisfies EntryHead), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE);
  preamble.writeUInt8(FORMAT_VERSION, 0);
  preamble.writeUInt32BE(head.length, 1);
  return Buffer.concat([preamble, head, entry.body]);
}

/** Unpacks a value written by encodeEntry; undefined for anything else (old format, truncated, foreign value). */
export function decodeEntry(value: Buffer): CacheEntry | undefined {
  if (value.length < PREAMBLE || value.readUInt8(0) !== FORMAT_VERSION) return undefined;
  const headLength = value.readUInt32BE(1);
  if (PREAMBLE + headLength > value.length) return undefined;
  let head: EntryHead;
  try {
    head = JSON.parse(value.subarray(PREAMBLE, PREAMBLE + headLength).toString('utf8')) as EntryHead;
  } catch {
    return undefined;
  }
  if (typeof head?.s !== 'number' || typeof head.t !== 'number' || typeof head.h !== 'object' || head.h === null) return undefined;
  return { status: head.s, headers: head.h, storedAt: head.t, body: value.subarray(PREAMBLE + headLength) };
}

/** Entries shared by every replica through Redis. */
export class RedisCacheStore implements CacheStore {
  private readonly redis: CacheRedisClient;
  private readonly prefix: string;

  constructor(deps: RedisCacheStoreDeps) {
    this.redis = deps.redis;
    this.prefix = `${deps.keyPrefix}cache:`;
  }

  /** The live entry for `key`, or undefined; rejects when Redis does not answer. */
  async get(key: string): Promise<CacheEntry | undefined> {
    const value = await this.redis.getBuffer(this.prefix + key);
    return value ? decodeEntry(value) : undefined;
  }

  /** Writes `entry` with a PX expiry of `ttlMs`; rejects when Redis does not answer. */
  async set(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, encodeEntry(entry), 'PX', Math.max(1, Math.ceil(ttlMs)));
  }
}
