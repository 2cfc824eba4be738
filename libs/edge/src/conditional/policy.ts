/**
 * Per-route validators and conditional GET (the value of `policy.etag` in routes.yaml): off unless a route asks for it,
 * as hashing every answer costs CPU. The gateway merges the schema into its `.strict()` route schema.
 */
import { z } from 'zod';

/** zod schema for `policy.etag`: `true` or `false` (the same as leaving it out). */
export const etagPolicySchema = z.boolean({ error: 'expected true or false' }).optional();
