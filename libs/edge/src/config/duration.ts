/** Durations and sizes as written in config ("2s", "500ms", "1m", "1MiB"), parsed once into numbers. */
import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Parses "250ms", "2s", "1m", "1h" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** zod schema: a duration string (or a number of ms) → milliseconds. */
export const durationSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "2s", got "${value}"` });
    return z.NEVER;
  }
  return ms;
});

const SIZE = /^(\d+)(B|KB|KiB|MB|MiB|GB|GiB)?$/;
const UNIT_BYTES = { B: 1, KB: 1000, KiB: 1024, MB: 1_000_000, MiB: 1_048_576, GB: 1_000_000_000, GiB: 1_073_741_824 } as const;

/** Parses "512KiB", "1MiB", "100MB", "2048" into bytes; undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_BYTES[(m[2] ?? 'B') as keyof typeof UNIT_BYTES];
}

/** zod schema: a size string (or a number of bytes) → bytes. */
export const sizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "1MiB", got "${value}"` });
    return z.NEVER;
  }
  return bytes;
});
