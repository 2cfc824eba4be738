/** The one table of every failure Portico answers: code → HTTP status and problem title. Rendering is problem-middleware's job. */

/** Every error code an edge or gateway module may throw, with its status and RFC 9457 title. */
export const catalogue = {
  // 400–499: the request is at fault.
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  INVALID_PATH: { status: 400, title: 'Invalid request path' },
  INVALID_HEADER: { status: 400, title: 'Invalid request header' },
  MALFORMED_JSON: { status: 400, title: 'Request body is not valid JSON' },
  INVALID_QUERY: { status: 400, title: 'Invalid query parameter' },
  UNKNOWN_FIELD: { status: 400, title: 'Unknown field selected' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_TOKEN: { status: 401, title: 'Invalid credentials' },
  FORBIDDEN: { status: 403, title: 'Insufficient permissions' },
  ORIGIN_NOT_ALLOWED: { status: 403, title: 'Origin not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timed out' },
  CONFLICT: { status: 409, title: 'Conflict' },
  LENGTH_REQUIRED: { status: 411, title: 'Length required' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  URI_TOO_LONG: { status: 414, title: 'Request URI too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  VALIDATION_FAILED: { status: 422, title: 'Request body failed validation' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  QUOTA_EXCEEDED: { status: 429, title: 'Quota exceeded' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  CLIENT_CLOSED_REQUEST: { status: 499, title: 'Client closed request' },
  // 500–599: Portico or something behind it is at fault.
  INTERNAL: { status: 500, title: 'Internal server error' },
  NOT_IMPLEMENTED: { status: 501, title: 'Not implemented' },
  UPSTREAM_UNREACHABLE: { status: 502, title: 'Upstream unreachable' },
  UPSTREAM_BAD_RESPONSE: { status: 502, title: 'Upstream sent an invalid response' },
  UPSTREAM_ERROR: { status: 502, title: 'Upstream failed' },
  UPSTREAM_INTERNAL: { status: 500, title: 'Upstream failed internally' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'Upstream unavailable' },
  CIRCUIT_OPEN: { status: 503, title: 'Upstream temporarily disabled' },
  BULKHEAD_FULL: { status: 503, title: 'Upstream at capacity' },
  RATE_LIMIT_UNAVAILABLE: { status: 503, title: 'Rate limiting unavailable' },
  AUTH_UNAVAILABLE: { status: 503, title: 'Authentication temporarily unavailable' },
  NOT_READY: { status: 503, title: 'Service not ready' },
  DRAINING: { status: 503, title: 'Service shutting down' },
  CONNECTION_LIMIT: { status: 503, title: 'Too many open connections' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream timed out' },
  DEADLINE_EXCEEDED: { status: 504, title: 'Request deadline exceeded' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A catalogue code, e.g. `UPSTREAM_TIMEOUT`. */
export type ErrorCode = keyof typeof catalogue;

/** The problem `type` URI for a code: a stable URN clients can switch on. */
export function problemType(code: ErrorCode): string {
  return `urn:portico:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** True when `value` names a catalogue entry. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(catalogue, value);
}
