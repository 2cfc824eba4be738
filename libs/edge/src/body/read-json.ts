/** Reads and validates a JSON request body for composition handlers and backends. Proxied routes never use it: the proxy streams bodies untouched. */
import getRawBody from 'raw-body';
import type { z } from 'zod';
import { EdgeError } from '../errors';
import type { EdgeContext } from '../state';

// fatal: invalid UTF-8 is an error, not silently replaced with U+FFFD.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Settings for readJsonBody. */
export interface ReadJsonOptions {
  /** Largest accepted body in bytes (default 1 MiB, docs/edge-defaults.md). */
  limit?: number;
}

/**
 * Reads the body as JSON: 415 for another media type, 413 past the limit, 400 for malformed JSON or invalid UTF-8.
 * Reads at most `limit` bytes whatever Content-Length claims.
 */
export async function readJsonBody(ctx: EdgeContext, options: ReadJsonOptions = {}): Promise<unknown> {
  const limit = options.limit ?? 1_048_576;
  if (!ctx.is('application/json', 'application/*+json')) {
    throw new EdgeError('UNSUPPORTED_MEDIA_TYPE', { detail: 'expected Content-Type: application/json' });
  }
  let raw: Buffer;
  try {
    const length = ctx.get('content-length');
    raw = await getRawBody(ctx.req, { limit, ...(length ? { length } : {}) });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw new EdgeError('PAYLOAD_TOO_LARGE', { detail: `request body exceeds ${limit} bytes`, cause: err });
    if (type === 'request.size.invalid') throw new EdgeError('BAD_REQUEST', { detail: 'request body length does not match Content-Length', cause: err });
    throw new EdgeError('BAD_REQUEST', { detail: 'request body could not be read', cause: err });
  }
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new EdgeError('MALFORMED_JSON', { detail: 'request body is not valid UTF-8' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EdgeError('MALFORMED_JSON', { detail: 'request body is not valid JSON' });
  }
}

/** Reads the JSON body and validates it with a zod schema; a mismatch is 422 with one `errors` entry per problem. */
export async function readValidBody<S extends z.ZodType>(ctx: EdgeContext, schema: S, options: ReadJsonOptions = {}): Promise<z.output<S>> {
  const raw = await readJsonBody(ctx, options);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(body)', message: issue.message }));
  throw new EdgeError('VALIDATION_FAILED', {
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    extensions: { errors },
  });
}
