/** EdgeError: the one error type edge and gateway code throws for a failure the client should see. Rendering is problem-middleware's job. */
import { catalogue, type ErrorCode } from './catalogue';

/** Options for an EdgeError: what the client is told beyond the catalogue entry. */
export interface EdgeErrorOptions {
  /** Human-readable explanation for this occurrence; never upstream bodies, hosts or stacks. */
  detail?: string;
  /** Response headers to send with the problem (`Retry-After`, `WWW-Authenticate`, `Allow`, …). */
  headers?: Record<string, string>;
  /** Extra problem members (RFC 9457 §3.2), e.g. `errors` for validation failures. */
  extensions?: Record<string, unknown>;
  /** The underlying error, logged server-side only. */
  cause?: unknown;
}

/** A failure with a catalogue code; problem-middleware answers it as application/problem+json. */
export class EdgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Koa reads `expose` to decide whether a message is safe for clients; ours always are. */
  readonly expose = true;

  constructor(code: ErrorCode, options: EdgeErrorOptions = {}) {
    const entry = catalogue[code];
    super(options.detail ?? entry.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdgeError';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** True for an EdgeError, also across duplicated module copies. */
export function isEdgeError(err: unknown): err is EdgeError {
  return err instanceof EdgeError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'EdgeError' && typeof (err as { code?: unknown }).code === 'string');
}
