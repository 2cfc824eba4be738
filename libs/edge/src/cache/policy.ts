/**
 * Per-route cache settings (the value of `policy.cache` in routes.yaml). Caching is off unless a route declares this
 * block (EDGE-DEFAULTS "Caching"); the gateway merges the schema into its `.strict()` route schema.
 */
import { z } from 'zod';
import { durationSchema, sizeSchema } from '../config';

// RFC 9110 §5.1: a field name is a token.
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Bodies larger than this are delivered but not stored (512 KiB). */
export const DEFAULT_MAX_BODY_SIZE = 512 * 1024;

const headerName = z
  .string()
  .regex(FIELD_NAME, 'expected a header name like "accept-language"')
  .refine((name) => name !== '*', 'a "*" vary cannot select a cache entry')
  .transform((name) => name.toLowerCase());

/** zod schema for `policy.cache`: `{ ttl: 30s, public: true, vary: [accept-language], query: [page, size] }`. */
export const cachePolicySchema = z
  .object({
    /** How long an entry is served; an upstream `max-age`/`s-maxage` shorter than this wins. */
    ttl: durationSchema.refine((ms) => ms > 0, 'expected a positive duration like "30s"'),
    /** True when one response may be served to every caller; otherwise each principal has its own entries. */
    public: z.boolean().default(false),
    /** Request headers whose values select the entry (`accept-language`); compared case-insensitively. */
    vary: z
      .array(headerName)
      .default([])
      .transform((names) => [...new Set(names)].sort()),
    /** Query parameters that select the entry; others are removed before the upstream call. Absent: all, sorted. */
    query: z
      .array(z.string().min(1))
      .transform((names) => [...new Set(names)].sort())
      .optional(),
    /** Largest body stored; larger bodies are streamed through uncached. */
    maxBodySize: sizeSchema.default(DEFAULT_MAX_BODY_SIZE),
  })
  .strict();

/** Validated per-route cache settings; `ttl` and `maxBodySize` are numbers (ms, bytes). */
export type CachePolicy = z.output<typeof cachePolicySchema>;
