/** The auth slice of a route's policy in routes.yaml. The gateway merges this shape into its one `.strict()` route schema. */
import { z } from 'zod';

const scopeName = z.string().min(1).regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'expected a scope token (RFC 6749 §3.3: no spaces or quotes)');

/** zod raw shape for `policy.auth`, `policy.scopes`, `policy.roles` and `policy.credentials`, with docs/edge-defaults.md defaults. */
export const authPolicyShape = {
  /** `required`: 401 without valid credentials; `optional`: anonymous passes but bad credentials are 401; `none`: nothing is read. */
  auth: z.enum(['required', 'optional', 'none']).default('required'),
  /** Every listed scope is required (403 otherwise). */
  scopes: z.array(scopeName).default([]),
  /** Any one of the listed roles suffices (403 otherwise). */
  roles: z.array(z.string().min(1)).default([]),
  /** Which credentials the route accepts: Bearer JWTs, API keys (`X-API-Key` or a `pk_` Bearer value), or both. */
  credentials: z.array(z.enum(['jwt', 'api-key'])).min(1).default(['jwt']),
} as const;

/** zod schema of the auth slice alone, for tests and tools that validate it on its own. */
export const authPolicySchema = z.object(authPolicyShape).strict();

/** A route's validated auth settings. */
export type AuthPolicy = z.output<typeof authPolicySchema>;

/** Which credential a request presented. */
export type CredentialKind = AuthPolicy['credentials'][number];
