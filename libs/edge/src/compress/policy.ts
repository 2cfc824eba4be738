/**
 * Per-route response compression (the value of `policy.compress` in routes.yaml). Off unless a route asks for it, as in
 * nginx, Envoy and Kong: it costs CPU on every answer, and a response that mixes secrets with reflected input can leak
 * them through its compressed length (BREACH). The gateway merges the schema into its `.strict()` route schema.
 */
import { z } from 'zod';
import { sizeSchema } from '../config';

/** Answers smaller than this go out as they are (1 KiB): below it, headers and framing outweigh the savings. */
export const DEFAULT_MIN_COMPRESS_BYTES = 1024;

/** zod schema for `policy.compress`: `true`, or `{ minBytes: 4KiB }`; `false` is the same as leaving it out. */
export const compressPolicySchema = z.preprocess(
  // As an object from here on, so a bad threshold is reported at its own field.
  (value) => (value === true ? {} : value === false ? undefined : value),
  z
    .object({ minBytes: sizeSchema.default(DEFAULT_MIN_COMPRESS_BYTES) }, { error: 'expected true, false or { minBytes: <size> }' })
    .strict()
    .optional(),
);

/** A route's validated compression settings. */
export type CompressPolicy = NonNullable<z.output<typeof compressPolicySchema>>;
