/**
 * The parts of undici Portico uses, loaded without undici's index. `require('undici')` also loads fetch, WebSocket,
 * EventSource, the cache stores, the mock agents and every interceptor: ~114 ms of CPU on this machine kind, against
 * ~47 ms for the pool alone, and a BFF must be ready within 1 s of launch (docs/benchmarks.md, bff-startup).
 * undici has no exports map, so these are its own lib/ files at the version the lockfile pins; the unit test
 * test/undici.test.ts fails if an upgrade moves them.
 */
import type * as Undici from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports */
/** undici's Pool: one origin, keep-alive connections. */
export const Pool = require('undici/lib/dispatcher/pool') as typeof Undici.Pool;
/** undici's Client: one connection to one origin. */
export const Client = require('undici/lib/dispatcher/client') as typeof Undici.Client;
const apiRequest = require('undici/lib/api/api-request') as (
  this: Undici.Dispatcher,
  options: Undici.Dispatcher.RequestOptions,
) => Promise<Undici.Dispatcher.ResponseData>;
/* eslint-enable @typescript-eslint/no-require-imports */

/** `dispatcher.request(options)`, which undici's index would have mixed into every dispatcher. */
export function dispatcherRequest(dispatcher: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  return apiRequest.call(dispatcher, options);
}
