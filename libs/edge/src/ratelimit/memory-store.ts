/**
 * In-process rate-limit store: the sliding-window counter of sliding-window.ts in a bounded LRU map. Used when no
 * REDIS_URL is set (limits are then per process) and as the fail-open fallback while Redis is unreachable.
 */
import { LRUCache } from 'lru-cache';
import { checkDecideArguments, type RateLimitDecision, type RateLimitStore } from './store';
import { decideWindow, type WindowState } from './sliding-window';

const PURGE_EVERY = 10_000;

/** Options for MemoryRateLimitStore. */
export interface MemoryRateLimitStoreOptions {
  /** Most keys held at once; the least recently used is dropped beyond it. Default 100 000. */
  maxKeys?: number;
  /** Clock in epoch ms; tests inject one. */
  now?: () => number;
}

/** A RateLimitStore in this process's memory: idle keys expire after two windows, and at most `maxKeys` are kept. */
export class MemoryRateLimitStore implements RateLimitStore {
  private lru: LRUCache<string, WindowState> | undefined;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private decisions = 0;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Number of live keys (expired ones are dropped first). */
  get size(): number {
    if (!this.lru) return 0;
    this.lru.purgeStale();
    return this.lru.size;
  }

  // lru-cache allocates its slots for maxKeys up front: 2.7 MiB for 100 000 keys. Every service builds a fallback
  // store that only Redis outages use, so the slots are allocated by the first decision, not here.
  private get entries(): LRUCache<string, WindowState> {
    // Dropping a key under pressure forgets its count (admits more, never less): bounded memory wins over precision.
    return (this.lru ??= new LRUCache<string, WindowState>({ max: this.maxKeys, ttlAutopurge: false }));
  }

  /** Decides synchronously under the hood; JavaScript's single thread makes each decision atomic. */
  async decide(key: string, limit: number, windowMs: number, cost = 1): Promise<RateLimitDecision> {
    checkDecideArguments(limit, windowMs, cost);
    const entries = this.entries;
    const verdict = decideWindow(entries.get(key), this.now(), limit, windowMs, cost);
    if (verdict.next) entries.set(key, verdict.next, { ttl: verdict.ttlMs });
    // Expired keys are otherwise dropped only when touched or pushed out by the LRU; sweep now and then.
    if (++this.decisions % PURGE_EVERY === 0) entries.purgeStale();
    return { allowed: verdict.allowed, limit, remaining: verdict.remaining, resetMs: verdict.resetMs, retryAfterMs: verdict.retryAfterMs };
  }
}
