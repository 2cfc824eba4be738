/**
 * The signing keys of one issuer's JWKS (docs/edge-defaults.md "Authentication"): loaded at start-up, cached ~10 min and
 * refreshed in the background, refetched on an unknown kid at most once per 30 s, served stale up to 1 h while the
 * issuer is unreachable. Until the first load succeeds, retries back off from 500 ms to that 30 s, so a replica whose
 * first download failed (issuer restarting, a slow first connection) becomes ready seconds later, not 30 s later.
 * Verifying tokens is jwt.ts's job.
 */
import type { KeyObject } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { EdgeLogger } from '../state';
import { authUnavailable, invalidCredentials } from './challenge';
import { importJwks, keyFitsAlgorithm, type ImportedKey } from './jwk-import';
import { fetchJwks } from './jwks-fetch';
import type { JwtHeader, KeySource } from './jwt';

/** Settings of a JwksCache; every timing has the docs/edge-defaults.md default. */
export interface JwksCacheOptions {
  url: string;
  logger: EdgeLogger;
  /** Clock in epoch ms (tests inject one). */
  now?: () => number;
  /** Fetch budget, ms (default 2000). */
  timeoutMs?: number;
  /** Largest JWKS body accepted, bytes (default 256 KiB). */
  maxBytes?: number;
  /** How long keys count as fresh, ms (default 10 min); a background refresh runs at that interval. */
  maxAgeMs?: number;
  /** How long past freshness keys are still served while the issuer is unreachable, ms (default 1 h). */
  staleMs?: number;
  /** Minimum gap between fetches triggered by unknown kids or failures, ms (default 30 s). */
  minRefetchMs?: number;
  /** First retry after a failed load while no keys were ever loaded, ms (default 500); doubles up to minRefetchMs. */
  firstRetryMs?: number;
  /** Called after a refresh withdrew keys, so verified-token caches can forget tokens they signed. */
  onKeysRemoved?: (kids: string[]) => void;
  dispatcher?: Dispatcher;
}

/** A KeySource backed by a remote JWKS; create once at start-up, then `start()` (createAuthenticator does both). */
export class JwksCache implements KeySource {
  /** Counters for tests and metrics: fetch attempts made. */
  readonly stats = { fetches: 0 };
  private readonly o: Required<Omit<JwksCacheOptions, 'onKeysRemoved' | 'dispatcher'>> & Pick<JwksCacheOptions, 'onKeysRemoved' | 'dispatcher'>;
  private keys = new Map<string, ImportedKey>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private initial: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly aborter = new AbortController();
  private closed = false;
  // The next retry delay while no keys were ever loaded.
  private startupRetryMs: number | undefined;

  constructor(options: JwksCacheOptions) {
    this.o = {
      now: Date.now,
      timeoutMs: 2000,
      maxBytes: 256 * 1024,
      maxAgeMs: 10 * 60_000,
      staleMs: 60 * 60_000,
      minRefetchMs: 30_000,
      firstRetryMs: 500,
      ...options,
    };
  }

  /** Starts the first load (idempotent); the returned promise is ready()'s. */
  start(): Promise<void> {
    if (!this.initial) {
      this.initial = this.refresh();
      // Readiness may poll isReady() instead of awaiting; a failed first load must not be an unhandled rejection.
      this.initial.catch(() => undefined);
    }
    return this.initial;
  }

  /** Resolves once the first load succeeded; rejects with the reason when it failed (background retries continue). */
  ready(): Promise<void> {
    return this.start();
  }

  /** True while usable keys are held (fresh, or stale within the grace period). */
  isReady(): boolean {
    return this.keys.size > 0 && this.o.now() < this.fetchedAt + this.o.maxAgeMs + this.o.staleMs;
  }

  /** The key named by the token's kid; unknown kids trigger one shared, rate-limited refetch. */
  async keyFor(header: JwtHeader): Promise<KeyObject> {
    if (header.kid === undefined) throw invalidCredentials('token has no key id');
    let entry = this.lookup(header.kid);
    if (!entry) {
      const fetch = this.inflight ?? (this.o.now() - this.attemptedAt >= this.o.minRefetchMs ? this.refresh() : undefined);
      // Within the refetch interval an unknown kid is refused at once rather than waiting for the next refresh.
      if (fetch) await fetch.catch(() => undefined);
      entry = this.lookup(header.kid);
    }
    if (!entry) {
      if (!this.isReady()) throw authUnavailable('signing keys are unavailable');
      throw invalidCredentials('signing key not recognised');
    }
    if ((entry.alg !== undefined && entry.alg !== header.alg) || !keyFitsAlgorithm(entry.key, header.alg)) {
      throw invalidCredentials('algorithm does not match the key');
    }
    return entry.key;
  }

  /** Fetches the JWKS now unless a fetch is already running (which is shared); rejects when it failed. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('JWKS cache is closed'));
    if (this.inflight) return this.inflight;
    this.attemptedAt = this.o.now();
    this.stats.fetches++;
    const run = this.load().then(
      () => {
        this.inflight = undefined;
        this.arm(this.o.maxAgeMs);
      },
      (err: unknown) => {
        this.inflight = undefined;
        this.arm(this.fetchedAt === Number.NEGATIVE_INFINITY ? this.nextStartupRetry() : this.o.minRefetchMs);
        throw err;
      },
    );
    this.inflight = run;
    return run;
  }

  /** Stops background refreshes and aborts a running fetch. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.aborter.abort();
  }

  private lookup(kid: string): ImportedKey | undefined {
    if (!this.isReady()) return undefined;
    // Past freshness: keep serving, and refresh in the background (bounded by minRefetchMs while the issuer is down).
    const now = this.o.now();
    if (now >= this.fetchedAt + this.o.maxAgeMs && !this.inflight && now - this.attemptedAt >= this.o.minRefetchMs) {
      this.refresh().catch(() => undefined);
    }
    return this.keys.get(kid);
  }

  private async load(): Promise<void> {
    try {
      const document = await fetchJwks(this.o.url, { timeoutMs: this.o.timeoutMs, maxBytes: this.o.maxBytes, signal: this.aborter.signal, dispatcher: this.o.dispatcher });
      const keys = importJwks(document, this.o.logger, this.o.url);
      if (keys.size === 0) throw new Error('JWKS holds no usable signing keys');
      const removed = [...this.keys.keys()].filter((kid) => !keys.has(kid));
      this.keys = keys;
      this.fetchedAt = this.o.now();
      this.o.logger.info({ jwksUrl: this.o.url, kids: [...keys.keys()] }, 'JWKS loaded');
      if (removed.length > 0) this.o.onKeysRemoved?.(removed);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.o.logger.warn({ jwksUrl: this.o.url, reason, cachedKeys: this.isReady() ? this.keys.size : 0 }, 'JWKS refresh failed');
      throw new Error(`signing keys could not be loaded from ${this.o.url}: ${reason}`, { cause: err });
    }
  }

  private nextStartupRetry(): number {
    const delay = Math.min(this.startupRetryMs ?? this.o.firstRetryMs, this.o.minRefetchMs);
    this.startupRetryMs = delay * 2;
    return delay;
  }

  // One timer at a time: after a success the next refresh is due at maxAge, after a failure at minRefetch (backing
  // off towards it while no keys were ever loaded).
  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => this.refresh().catch(() => undefined), delayMs);
    this.timer.unref();
  }
}
