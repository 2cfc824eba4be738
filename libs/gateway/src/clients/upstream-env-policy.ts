/**
 * Process-wide upstream policy overrides read from the environment (through loadConfig's `extra`), applied to every
 * HTTP and gRPC upstream of a BFF. Per-upstream settings a service passes in code still win over them.
 */
import { durationSchema } from '@portico/edge';
import type { BreakerSettings } from './breaker';

const MIN_OPEN_MS = 100;
const MAX_OPEN_MS = 600_000;

/**
 * The variables: UPSTREAM_BREAKER_OPEN is how long an open circuit stays open before its one half-open probe
 * (docs/edge-defaults.md › Upstreams: 30 s when unset). Fault-injection tests and staging set it shorter.
 */
export const upstreamEnvShape = {
  UPSTREAM_BREAKER_OPEN: durationSchema
    .refine((ms) => ms >= MIN_OPEN_MS && ms <= MAX_OPEN_MS, { message: `expected a duration from ${MIN_OPEN_MS}ms to ${MAX_OPEN_MS / 60_000}m` })
    .optional(),
} as const;

/** What the environment may set for every upstream at once. */
export interface SharedUpstreamOverrides {
  breaker?: Partial<BreakerSettings>;
}

/** The overrides the validated variables ask for; undefined when none is set. */
export function upstreamPolicyFromEnv(values: Readonly<Record<string, unknown>>): SharedUpstreamOverrides | undefined {
  const openMs = values.UPSTREAM_BREAKER_OPEN;
  if (typeof openMs !== 'number') return undefined;
  return { breaker: { openMs } };
}

/** `shared` under `specific`: a service's per-upstream settings win, the breaker merged field by field. */
export function withSharedPolicy<P extends SharedUpstreamOverrides>(shared: SharedUpstreamOverrides | undefined, specific: P | undefined): P | undefined {
  if (!shared?.breaker) return specific;
  return { ...specific, breaker: { ...shared.breaker, ...specific?.breaker } } as P;
}
