/**
 * createUpstreams: one HttpUpstream (keep-alive pool, breaker, bulkhead, retry budget) per backend, created once at
 * start-up from `{ name: { url, policy } }`. Where the URLs come from (the environment) is the caller's concern.
 */
import type { EdgeLogger } from '@portico/edge';
import type { Upstream, UpstreamPolicy } from './upstream-types';
import type { BreakerSettings, BreakerState } from './breaker';
import type { RetrySettings } from './retry';
import { HttpUpstream, type UpstreamSpanStarter, type ResolvedUpstreamPolicy, type UpstreamMetrics } from './http-upstream';
import { UPSTREAM_DEFAULTS } from './service-client';

/** Per-upstream overrides; anything unset takes UPSTREAM_DEFAULTS. */
export type UpstreamPolicyOverrides = Partial<Omit<UpstreamPolicy, 'breaker' | 'retry'>> & {
  breaker?: Partial<BreakerSettings>;
  retry?: Partial<RetrySettings>;
};

/** One backend: its base URL (only the origin is used) and optional policy overrides. */
export interface UpstreamDef {
  url: string;
  policy?: UpstreamPolicyOverrides;
}

/** Collaborators shared by every upstream. */
export interface UpstreamsDeps {
  logger: EdgeLogger;
  /** Any object with `recordUpstream(upstream, operation, outcome, seconds)`, e.g. EdgeMetrics. */
  metrics?: UpstreamMetrics;
  /** Traces each call in a CLIENT span with trace context in its headers (pass `clientSpans` from @portico/edge). */
  clientSpans?: (origin: string) => UpstreamSpanStarter | undefined;
  now?: () => number;
  random?: () => number;
}

/** The upstreams of one BFF, by name and by origin. */
export interface Upstreams {
  /** The upstream called `name`; throws for a name that was never defined (a start-up bug). */
  get(name: string): Upstream;
  /** The upstream serving `origin` (`http://host:port`); throws when none does. */
  byOrigin(origin: string): Upstream;
  /** Names of every upstream. */
  names(): string[];
  /** Breaker state per upstream name, for readiness and metrics. */
  states(): Record<string, BreakerState>;
  /** Destroys every pool; call from the shutdown hook after in-flight requests finish. */
  close(): Promise<void>;
}

function validMs(name: string, key: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new Error(`upstream ${name}: ${key} must be a non-negative number of ms`);
}

/** Fills unset policy values from UPSTREAM_DEFAULTS and checks them. */
export function resolvePolicy(name: string, overrides: UpstreamPolicyOverrides = {}): ResolvedUpstreamPolicy {
  const policy: ResolvedUpstreamPolicy = {
    ...UPSTREAM_DEFAULTS,
    ...overrides,
    breaker: { ...UPSTREAM_DEFAULTS.breaker, ...overrides.breaker },
    retry: { ...UPSTREAM_DEFAULTS.retry, ...overrides.retry },
  };
  for (const key of ['connectTimeoutMs', 'headersTimeoutMs', 'bodyTimeoutMs', 'keepAliveTimeoutMs'] as const) validMs(name, key, policy[key]);
  if (policy.connections < 1 || policy.maxConcurrent < 1) throw new Error(`upstream ${name}: connections and maxConcurrent must be at least 1`);
  const { failureRatio, minimumCalls } = policy.breaker;
  if (!(failureRatio > 0 && failureRatio <= 1) || minimumCalls < 1) throw new Error(`upstream ${name}: breaker needs 0 < failureRatio ≤ 1 and minimumCalls ≥ 1`);
  if (policy.retry.maxRetries > 2) throw new Error(`upstream ${name}: at most 2 retries (docs/edge-defaults.md › Upstreams)`);
  return policy;
}

function originOf(name: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`upstream ${name}: expected an http(s) URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`upstream ${name}: expected an http(s) URL`);
  return parsed.origin;
}

/** Creates every upstream once; two names may not share an origin (each origin gets exactly one pool). */
export function createUpstreams(defs: Record<string, UpstreamDef>, deps: UpstreamsDeps): Upstreams {
  const byName = new Map<string, HttpUpstream>();
  const byOrigin = new Map<string, HttpUpstream>();
  for (const [name, def] of Object.entries(defs)) {
    const origin = originOf(name, def.url);
    const clash = byOrigin.get(origin);
    if (clash) throw new Error(`upstreams ${clash.name} and ${name} share one origin; give them one name`);
    const upstream = new HttpUpstream(name, origin, resolvePolicy(name, def.policy), deps);
    byName.set(name, upstream);
    byOrigin.set(origin, upstream);
  }
  return {
    get(name) {
      const upstream = byName.get(name);
      if (!upstream) throw new Error(`unknown upstream "${name}"`);
      return upstream;
    },
    byOrigin(origin) {
      const upstream = byOrigin.get(originOf('(lookup)', origin));
      if (!upstream) throw new Error('no upstream is defined for this origin');
      return upstream;
    },
    names: () => [...byName.keys()],
    states: () => Object.fromEntries([...byName].map(([name, u]) => [name, u.state])),
    close: async () => {
      await Promise.all([...byName.values()].map((u) => u.close()));
    },
  };
}
