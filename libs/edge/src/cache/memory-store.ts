/**
 * In-process CacheStore on lru-cache, bounded by entry count and total bytes, for services without Redis.
 * Each replica keeps its own entries; sharing across replicas is RedisCacheStore's job.
 */
import { LRUCache } from 'lru-cache';
import { entrySize, type CacheEntry, type CacheStore } from './store';

/** Bounds for a MemoryCacheStore. */
export interface MemoryCacheStoreOptions {
  /** Most entries held at once (default 10 000). */
  maxEntries?: number;
  /** Most bytes of bodies and headers held at once (default 64 MiB). */
  maxBytes?: number;
}

/** A least-recently-used, byte-bounded, TTL-honouring cache in this process. */
export class MemoryCacheStore implements CacheStore {
  private readonly lru: LRUCache<string, CacheEntry>;

  constructor(options: MemoryCacheStoreOptions = {}) {
    this.lru = new LRUCache<string, CacheEntry>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: entrySize,
      // Expired entries are dropped when read; no timers per entry.
      ttlAutopurge: false,
    });
  }

  /** The live entry for `key`, or undefined when absent or expired. */
  async get(key: string): Promise<CacheEntry | undefined> {
    return this.lru.get(key);
  }

  /** Stores `entry` for `ttlMs`; an entry larger than the whole budget is silently not kept. */
  async set(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    this.lru.set(key, entry, { ttl: ttlMs });
  }

  /** Number of entries held (expired ones included until read). */
  get size(): number {
    return this.lru.size;
  }

  /** Bytes held by the entries. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
