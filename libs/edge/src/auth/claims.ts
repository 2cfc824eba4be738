/**
 * The checks Portico adds beyond jsonwebtoken's (docs/edge-defaults.md "Authentication") and the mapping from verified
 * claims to a Principal. Runs only on payloads whose signature, iss, aud, nbf and exp jsonwebtoken already accepted.
 */
import type { Principal } from '../state';

/** The limits applied to every verified payload. */
export interface ClaimLimits {
  /** Longest accepted lifetime, ms: exp − iat, or exp − now without iat (24 h by default). */
  maxLifetimeMs: number;
  /** Tolerated clock difference with the issuer, ms (60 s by default). */
  clockSkewMs: number;
}

/** Why a verified payload is still refused; the message is safe to show the client. */
export class ClaimError extends Error {
  override readonly name = 'ClaimError';
}

/** True for a plain JSON object: not a string, array or null (a JWS may carry any payload; a JWT carries an object). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Applies exp-required, max-lifetime, iat-not-in-the-future and sub-required; throws ClaimError with a safe reason. */
export function checkClaims(payload: unknown, limits: ClaimLimits, nowMs: number): asserts payload is Record<string, unknown> & { exp: number; sub: string; iss: string } {
  if (!isJsonObject(payload)) throw new ClaimError('token payload is not a JSON object');
  const { exp, iat, sub, iss } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new ClaimError('token has no expiry');
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw new ClaimError('token issue time is malformed');
  if (typeof iat === 'number' && iat * 1000 > nowMs + limits.clockSkewMs) throw new ClaimError('token issued in the future');
  const lifetimeMs = typeof iat === 'number' ? (exp - iat) * 1000 : exp * 1000 - nowMs;
  if (lifetimeMs > limits.maxLifetimeMs) throw new ClaimError('token lifetime exceeds the maximum');
  if (typeof sub !== 'string' || sub === '') throw new ClaimError('token has no subject');
  if (typeof iss !== 'string') throw new ClaimError('issuer not accepted');
}

// `scope` is space-separated (RFC 8693 §4.2); `scp` is an array in most issuers but a space-separated string in some (Entra ID).
function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

/** Builds the Principal of a checked JWT payload. */
export function principalFromClaims(payload: Record<string, unknown> & { exp: number; sub: string; iss: string }): Principal {
  const scopes = payload.scope !== undefined ? stringList(payload.scope) : stringList(payload.scp);
  const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload.client_id === 'string' ? payload.client_id : undefined;
  const principal: Principal = {
    kind: 'jwt',
    issuer: payload.iss,
    subject: payload.sub,
    scopes: Object.freeze(scopes),
    roles: Object.freeze(stringList(payload.roles)),
    expiresAt: payload.exp,
  };
  if (clientId !== undefined) principal.clientId = clientId;
  return Object.freeze(principal);
}
