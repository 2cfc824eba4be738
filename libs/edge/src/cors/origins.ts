/**
 * Origins as CORS compares them (RFC 6454 §6.2 serialisation: scheme://host[:port], no path), and the config schema of
 * an allow-list such as CORS_ALLOWED_ORIGINS. Matching requests against the list is cors.ts's job.
 */
import { z } from 'zod';

/** Parses one configured origin into its serialised form, or says why it is not one. `*` and `null` are refused. */
export function parseOrigin(text: string): string | { problem: string } {
  const value = text.trim();
  const problem = `expected an origin like https://app.example.com (scheme, host and optional port, no path), got "${value}"`;
  // An allow-list names browser apps one by one: `*` would let any site read answers, `null` matches sandboxed and file: pages.
  if (value === '*' || value === 'null') return { problem: `"${value}" is not allowed; list each browser-app origin` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem };
  // No path, query, fragment or user info; case and a default port are normalised the way browsers serialise them.
  if (!/^https?:\/\/[^/?#@]+$/i.test(value)) return { problem };
  return url.origin;
}

/** zod schema for a comma-separated origin list (`CORS_ALLOWED_ORIGINS`): each entry parsed, duplicates dropped. */
export const corsOriginsSchema = z.string().transform((text, ctx) => {
  const origins: string[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const parsed = parseOrigin(entry);
    if (typeof parsed === 'string') {
      if (!origins.includes(parsed)) origins.push(parsed);
    } else ctx.addIssue({ code: 'custom', message: parsed.problem });
  }
  return origins;
});
