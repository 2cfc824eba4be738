/**
 * The one path normalisation Portico uses for routing, authorization, rate-limit keys, cache keys and forwarding
 * (docs/edge-defaults.md "Paths and headers"). Building the upstream path from a template is path-template.ts's job.
 */
import { EdgeError } from '@portico/edge';

// RFC 3986 §2.3: unreserved characters, whose percent-encoded form means the same as the character itself.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// %2F, %5C and %00 would let one segment smuggle a separator or a terminator past the router.
const FORBIDDEN_ESCAPE = /%(2f|5c|00)/i;
const PERCENT = /%([0-9A-Fa-f]{2})|%/g;
// Most API paths (`/orders/42/items`) have no dots, escapes or empty segments: they are already normal.
const ALREADY_NORMAL = /^(?:\/[A-Za-z0-9\-_~!$&'()*+,;=:@]+)+$/;

function invalid(detail: string): EdgeError {
  return new EdgeError('INVALID_PATH', { detail });
}

/** Decodes percent-escapes of unreserved characters (so %2e becomes "."), upper-cases the rest, rejects stray "%". */
function decodeUnreserved(path: string): string {
  return path.replace(PERCENT, (match, hex: string | undefined) => {
    if (hex === undefined) throw invalid('The path contains a "%" that starts no percent-escape');
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/** RFC 3986 §5.2.4 remove_dot_segments on a path whose slashes are already merged; climbing above root is an error. */
function removeDotSegments(path: string): string {
  const input = path.split('/').slice(1);
  const output: string[] = [];
  input.forEach((segment, index) => {
    const last = index === input.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') {
        if (output.length === 0) throw invalid('The path climbs above the root');
        output.pop();
      }
      // "/a/b/." and "/a/b/.." name a directory: keep the trailing slash as RFC 3986 does.
      if (last) output.push('');
      return;
    }
    output.push(segment);
  });
  return `/${output.join('/')}`;
}

/**
 * Normalises a request path (no query): rejects backslashes, %2F, %5C, %00 and control characters with
 * INVALID_PATH, decodes unreserved escapes (including %2e), merges repeated slashes, removes dot segments,
 * drops a trailing slash (so `/orders/` routes like `/orders`), and keeps case.
 */
export function normalisePath(rawPath: string): string {
  if (ALREADY_NORMAL.test(rawPath)) return rawPath;
  if (!rawPath.startsWith('/')) throw invalid('The path must begin with "/"');
  if (rawPath.includes('\\')) throw invalid('Backslashes are not allowed in paths');
  if (FORBIDDEN_ESCAPE.test(rawPath)) throw invalid('Encoded slashes, backslashes and NUL are not allowed in paths');
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u0020\u007f]/.test(rawPath)) throw invalid('Control characters and spaces are not allowed in paths');
  const decoded = decodeUnreserved(rawPath).replace(/\/{2,}/g, '/');
  const normalised = removeDotSegments(decoded);
  return normalised.length > 1 && normalised.endsWith('/') ? normalised.slice(0, -1) : normalised;
}

/** Decodes one normalised path segment into a parameter value; malformed UTF-8 is INVALID_PATH. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid('The path contains a percent-escape that is not valid UTF-8');
  }
}

/** Encodes a parameter value for an upstream path so it can never introduce "/" or a dot segment. */
export function encodeSegment(value: string): string {
  if (value === '.' || value === '..' || value === '') throw invalid('A path parameter may not be empty, "." or ".."');
  return encodeURIComponent(value);
}
