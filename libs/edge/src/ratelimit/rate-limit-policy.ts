/** The `policy.rateLimit` slice of a route (and the service-wide limit): schema, limits per plan and the key identity. Deciding is the store's job. */
import { z } from 'zod';
import { durationSchema } from '../config';
import type { EdgeContext, Principal } from '../state';

// RateLimit-Policy's `w` is whole seconds (draft-ietf-httpapi-ratelimit-headers), so windows are too.
const windowSchema = durationSchema.refine((ms) => ms >= 1000 && ms % 1000 === 0, { message: 'expected a whole number of seconds, at least "1s"' });
const quotaShape = { limit: z.number().int().positive(), per: windowSchema };

/** The value of `policy.rateLimit`: `{ limit: 100, per: 1m }` plus optional key, failure mode, name and plans. */
export const rateLimitPolicySchema = z
  .object({
    ...quotaShape,
    /** principal: the verified identity, else the client address; client: always the address; global: one count for all callers. */
    key: z.enum(['principal', 'client', 'global']).optional(),
    /** open: fall back to a per-process limit while Redis is unreachable; closed: answer 503 (credential-issuing, bulk, expensive routes). */
    onStoreFailure: z.enum(['open', 'closed']).default('open'),
    /** The policy name in RateLimit headers; defaults to the route id. Sent inside a structured-field string, so a token. */
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected letters, digits, "_", ".", ":" or "-"').optional(),
    /** Limits per quota plan (`Principal.plan`, e.g. API key plans); an unknown plan gets the default limit. */
    plans: z.record(z.string().min(1), z.object(quotaShape).strict()).optional(),
  })
  .strict();

/** A validated rate-limit policy; `per` is in milliseconds. */
export type RateLimitPolicy = z.output<typeof rateLimitPolicySchema>;

/** The limit and window that apply to a request: the principal's plan when the policy names it, else the default. */
export function quotaFor(policy: RateLimitPolicy, principal: Principal | undefined): { limit: number; windowMs: number } {
  const plan = principal?.plan === undefined ? undefined : policy.plans?.[principal.plan];
  return plan ? { limit: plan.limit, windowMs: plan.per } : { limit: policy.limit, windowMs: policy.per };
}

/**
 * Who a request counts against (docs/edge-defaults.md "Rate limiting"): the verified issuer + subject, or the API key id,
 * else the client address derived from the trusted proxy hops.
 */
export function rateLimitIdentity(ctx: EdgeContext, key: NonNullable<RateLimitPolicy['key']>): string {
  if (key === 'global') return '*';
  const principal = ctx.state.principal;
  if (key === 'principal' && principal) {
    if (principal.kind === 'api-key') return `key:${principal.clientId ?? principal.subject}`;
    return `sub:${principal.issuer}|${principal.subject}`;
  }
  return `ip:${ctx.state.clientAddress ?? ctx.ip}`;
}
