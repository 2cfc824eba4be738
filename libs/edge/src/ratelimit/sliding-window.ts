/**
 * The rate-limit algorithm, written twice — in TypeScript for MemoryRateLimitStore and in Lua for RedisRateLimitStore —
 * side by side so the two stay identical. Where state lives and how it expires is each store's job.
 *
 * Algorithm: sliding-window counter (as used by Cloudflare and nginx-style limiters), not GCRA or token bucket.
 * - Policies say "100 per 1m" and the IETF RateLimit headers speak in quota `q` per window `w` with `r` remaining:
 *   a window counter reports exactly that, while GCRA spreads the quota as one request per w/q after the burst,
 *   so "remaining" and "reset" would be derived numbers that do not match what the policy promises.
 * - Exact under concurrency: within one window at most `limit` requests are admitted, because the decision and
 *   the increment are one atomic step (one Lua script in Redis). The weighted previous window removes the
 *   fixed-window flaw of admitting 2×limit across a window boundary.
 * - O(1) state per key (window index, current count, previous count), unlike a sliding log's one entry per request.
 * - Only admitted requests increment the counter, so a client that keeps retrying while limited never extends
 *   its own lock-out: it is admitted again as soon as the previous window has aged out enough.
 */

/** The stored state of one key: the fixed window index and the admitted counts in it and the window before. */
export interface WindowState {
  window: number;
  current: number;
  previous: number;
}

/** What a decision returns before the store adds the limit. */
export interface WindowVerdict {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /** The state to store when allowed (a rejected request stores nothing). */
  next?: WindowState;
  /** How long the stored state stays meaningful: to the end of the next window. */
  ttlMs: number;
}

/**
 * Decides one request of weight `cost` at time `nowMs`. The estimate of requests in the sliding window is
 * previous × (share of the previous window still inside it) + current; admit when estimate + cost ≤ limit.
 */
export function decideWindow(state: WindowState | undefined, nowMs: number, limit: number, windowMs: number, cost: number): WindowVerdict {
  const index = Math.floor(nowMs / windowMs);
  const elapsed = nowMs - index * windowMs;
  let current = 0;
  let previous = 0;
  if (state?.window === index) {
    current = state.current;
    previous = state.previous;
  } else if (state?.window === index - 1) {
    previous = state.current;
  }
  const used = (previous * (windowMs - elapsed)) / windowMs + current;
  const toWindowEnd = windowMs - elapsed;
  const ttlMs = 2 * windowMs - elapsed;
  if (used + cost <= limit) {
    const next = { window: index, current: current + cost, previous };
    return { allowed: true, remaining: Math.floor(limit - used - cost), resetMs: toWindowEnd, retryAfterMs: 0, next, ttlMs };
  }
  let retry: number;
  if (current + cost > limit) {
    // This window is full: wait for the next one, then for enough of this window's count to age out.
    retry = toWindowEnd + Math.max(0, Math.ceil(windowMs * (1 - (limit - cost) / current)));
  } else {
    // Room in this window once the previous window's weight has decayed enough.
    retry = Math.ceil(windowMs - ((limit - cost - current) * windowMs) / previous - elapsed);
  }
  retry = Math.max(1, retry);
  return { allowed: false, remaining: 0, resetMs: retry, retryAfterMs: retry, ttlMs };
}

/**
 * The same algorithm as one atomic Redis script. KEYS[1] is the decision key (a hash: w, c, p);
 * ARGV = limit, windowMs, cost. Returns { allowed (0|1), remaining, resetMs, retryAfterMs }.
 * Time comes from Redis TIME so every gateway process shares one clock (writes after TIME need script effects
 * replication, the default since Redis 5); every write sets a TTL.
 */
export const SLIDING_WINDOW_LUA = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local index = math.floor(now / window)
local elapsed = now - index * window
local stored = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w = tonumber(stored[1])
local current = 0
local previous = 0
if w == index then
  current = tonumber(stored[2]) or 0
  previous = tonumber(stored[3]) or 0
elseif w == index - 1 then
  previous = tonumber(stored[2]) or 0
end
local used = previous * (window - elapsed) / window + current
local toWindowEnd = window - elapsed
if used + cost <= limit then
  redis.call('HSET', KEYS[1], 'w', string.format('%d', index), 'c', current + cost, 'p', previous)
  redis.call('PEXPIRE', KEYS[1], 2 * window - elapsed)
  return { 1, math.floor(limit - used - cost), toWindowEnd, 0 }
end
local retry
if current + cost > limit then
  retry = toWindowEnd + math.max(0, math.ceil(window * (1 - (limit - cost) / current)))
else
  retry = math.ceil(window - (limit - cost - current) * window / previous - elapsed)
end
if retry < 1 then retry = 1 end
return { 0, 0, retry, retry }
`;
