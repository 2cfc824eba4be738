/**
 * Redis rate-limit store: one atomic Lua round trip per decision (sliding-window.ts), run by SHA and re-sent on
 * NOSCRIPT, bounded by its own deadline. Failing open or closed when it throws is the middleware's call.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { SLIDING_WINDOW_LUA } from './sliding-window';
import { checkDecideArguments, RateLimitStoreError, type RateLimitDecision, type RateLimitStore } from './store';

/** Options for RedisRateLimitStore. */
export interface RedisRateLimitStoreOptions {
  /** Prepended to every key, e.g. `portico:rl:` (REDIS_KEY_PREFIX + `rl:`). */
  prefix: string;
  /** Longest a decision may take, NOSCRIPT re-send included (REDIS_COMMAND_TIMEOUT, ~100 ms). */
  timeoutMs: number;
}

const SCRIPT_SHA = createHash('sha1').update(SLIDING_WINDOW_LUA).digest('hex');

/** A RateLimitStore shared by every process of a service through Redis (standalone, Sentinel or Cluster). */
export class RedisRateLimitStore implements RateLimitStore {
  /** SHA1 of the Lua script, as EVALSHA and SCRIPT EXISTS know it. */
  static readonly scriptSha = SCRIPT_SHA;
  private readonly client: Redis | Cluster;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(client: Redis | Cluster, options: RedisRateLimitStoreOptions) {
    this.client = client;
    this.prefix = options.prefix;
    this.timeoutMs = options.timeoutMs;
  }

  /**
   * The Redis key for a decision key. The whole decision key is the hash tag, so everything one decision touches
   * hashes to one Cluster slot (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
   */
  redisKey(key: string): string {
    // A brace inside the identity would end the hash tag early; escape both.
    return `${this.prefix}{${key.replace(/[{}]/g, (c) => (c === '{' ? '%7B' : '%7D'))}}`;
  }

  /** Runs the script for `key`; throws RateLimitStoreError on timeout or when Redis cannot answer. */
  async decide(key: string, limit: number, windowMs: number, cost = 1): Promise<RateLimitDecision> {
    checkDecideArguments(limit, windowMs, cost);
    const reply = await this.withDeadline(this.run(this.redisKey(key), [limit, windowMs, cost]));
    if (!Array.isArray(reply) || reply.length !== 4) throw new RateLimitStoreError('unavailable', 'rate-limit script returned an unexpected reply');
    const [allowed, remaining, resetMs, retryAfterMs] = reply.map(Number) as [number, number, number, number];
    return { allowed: allowed === 1, limit, remaining, resetMs, retryAfterMs };
  }

  private async run(redisKey: string, args: number[]): Promise<unknown> {
    try {
      return await this.client.evalsha(SCRIPT_SHA, 1, redisKey, ...args);
    } catch (err) {
      // After a Redis restart, failover or SCRIPT FLUSH the cache is empty: EVAL sends the script and caches it
      // again on the node that owns the key (SCRIPT LOAD could land on another Cluster node).
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return await this.client.eval(SLIDING_WINDOW_LUA, 1, redisKey, ...args);
    }
  }

  // ioredis's commandTimeout bounds each command; this bounds the whole decision (EVALSHA + NOSCRIPT re-send) too.
  private withDeadline(work: Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new RateLimitStoreError('timeout', `redis gave no rate-limit decision within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref();
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          const message = String((err as Error)?.message ?? err);
          const reason = /timed out/i.test(message) ? 'timeout' : 'unavailable';
          reject(new RateLimitStoreError(reason, `redis rate-limit decision failed: ${message}`, err));
        },
      );
    });
  }
}
