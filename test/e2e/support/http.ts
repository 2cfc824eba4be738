/** Plain JSON calls and bounded polling for the end-to-end tests that drive the real fleet over loopback. */
import { request } from 'undici';

/** The six sample backends, in fleet order. */
export const BACKENDS = ['consumer', 'restaurant', 'order', 'kitchen', 'delivery', 'accounting'] as const;

/** A short simulated life cycle: APPROVED → … → PICKED_UP after 3 steps (750 ms), DELIVERED after 4. */
export const FAST_TIMINGS = { ORDER_STEP_TIME: '250ms', KITCHEN_PREP_TIME: '500ms', DELIVERY_PICKUP_TIME: '750ms', DELIVERY_TRAVEL_TIME: '250ms', COURIER_LOCATION_EVERY: '100ms' };

/** What `http` answers: status, headers and the parsed JSON body ({} when empty). */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One JSON request with an optional Bearer token, bounded at 10 s. */
export async function http(url: string, options: { method?: 'GET' | 'POST' | 'OPTIONS'; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(url, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Polls `probe` every 25 ms until it returns a value, or throws `<what>: not within <ms> ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
