/**
 * The CacheStore contract shared by the Redis and in-process stores. Stores report failures by throwing;
 * deciding that a failure means "miss" is the middleware's job.
 */

/** Response header values as stored: Node's outgoing header shape without numbers. */
export type StoredHeaders = Record<string, string | string[]>;

/** One cached 200 response: status, the headers the route's chain produced, and the exact body bytes. */
export interface CacheEntry {
  /** Always 200 today; stored so a later format can hold other cacheable statuses. */
  status: number;
  /** Headers to replay, lower-case names; per-request headers (X-Request-Id, RateLimit, Date …) are never stored. */
  headers: StoredHeaders;
  /** The body exactly as first sent. */
  body: Buffer;
  /** Epoch ms at which the response was generated (upstream `Age` already subtracted); `Age` on a hit derives from it. */
  storedAt: number;
}

/** Where entries live: Redis across replicas, or memory within one process. */
export interface CacheStore {
  /** The live entry for `key`, or undefined; throws when the store cannot answer. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores `entry` for `ttlMs`; throws when the store cannot accept it. */
  set(key: string, entry: CacheEntry, ttlMs: number): Promise<void>;
}

/** Approximate bytes an entry occupies: its body plus its header text. */
export function entrySize(entry: CacheEntry): number {
  let size = entry.body.length + 64;
  for (const [name, value] of Object.entries(entry.headers)) {
    size += name.length + (Array.isArray(value) ? value.reduce((n, v) => n + v.length, 0) : value.length);
  }
  return size;
}
