/**
 * The errors auth answers with and their RFC 6750 §3 `WWW-Authenticate` challenges. Rendering as problem+json is
 * errors/problem-middleware's job; details name what was wrong in safe terms and never echo a credential.
 */
import { EdgeError } from '../errors';

/** The protection space every Portico challenge names. */
export const REALM = 'portico';

// RFC 6750 §3: quoted-string values may not hold `"` or `\`; details are ours, but keep the header well-formed regardless.
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/** 401 UNAUTHENTICATED: no credentials at all. RFC 6750 §3.1 says not to include an error code in that case. */
export function missingCredentials(detail = 'this route requires credentials'): EdgeError {
  return new EdgeError('UNAUTHENTICATED', { detail, headers: { 'WWW-Authenticate': `Bearer realm=${quote(REALM)}` } });
}

/** 401 INVALID_TOKEN: credentials were sent but are not acceptable (`error="invalid_token"`, RFC 6750 §3.1). */
export function invalidCredentials(detail: string, cause?: unknown): EdgeError {
  return new EdgeError('INVALID_TOKEN', {
    detail,
    cause,
    headers: { 'WWW-Authenticate': `Bearer realm=${quote(REALM)}, error="invalid_token", error_description=${quote(detail)}` },
  });
}

/** 403 FORBIDDEN: valid credentials without the scopes (all) or roles (any) the route needs (`error="insufficient_scope"`). */
export function insufficientScope(detail: string, scopes: readonly string[]): EdgeError {
  const scopeParam = scopes.length ? `, scope=${quote(scopes.join(' '))}` : '';
  return new EdgeError('FORBIDDEN', {
    detail,
    headers: { 'WWW-Authenticate': `Bearer realm=${quote(REALM)}, error="insufficient_scope"${scopeParam}` },
  });
}

/** 503 AUTH_UNAVAILABLE: credentials cannot be checked right now (no signing keys, key store unreachable); not the client's fault. */
export function authUnavailable(detail: string, cause?: unknown): EdgeError {
  return new EdgeError('AUTH_UNAVAILABLE', { detail, cause, headers: { 'Retry-After': '5' } });
}
