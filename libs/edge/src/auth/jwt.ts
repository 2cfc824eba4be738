/**
 * JWT verification with keys parsed once into KeyObjects, an explicit algorithm allow-list, iss/aud/exp/nbf and the
 * docs/edge-defaults.md extras (claims.ts), plus a bounded LRU of verified tokens so a hot token skips the signature check.
 * Where keys come from (a shared secret or a JWKS) is the KeySource's business.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import type { JwtAlgorithm } from '../config';
import type { Principal } from '../state';
import { invalidCredentials } from './challenge';
import { checkClaims, ClaimError, isJsonObject, principalFromClaims, type ClaimLimits } from './claims';

/** Tokens longer than this are refused before any decoding or crypto (docs/edge-defaults.md). */
export const MAX_TOKEN_BYTES = 8192;

/** The protected header fields used to choose a key; nothing else in an unverified token is trusted. */
export interface JwtHeader {
  alg: JwtAlgorithm;
  kid?: string;
}

/** Supplies the verification key for a token's header, or throws an EdgeError (INVALID_TOKEN or AUTH_UNAVAILABLE). */
export interface KeySource {
  keyFor(header: JwtHeader): Promise<KeyObject>;
  /** False while no usable keys are held (e.g. a JWKS past its stale grace); cached tokens are then re-checked too. */
  isReady?(): boolean;
}

/** Settings of one JwtVerifier: one issuer, its audiences, algorithms and keys. */
export interface JwtVerifierOptions extends ClaimLimits {
  issuer: string;
  /** Accepted audiences; a token naming any one of them passes. */
  audience: readonly string[];
  /** The allow-list; a token whose `alg` is not here is refused before a key is looked up. */
  algorithms: readonly JwtAlgorithm[];
  keys: KeySource;
  /** Clock in epoch ms (tests inject one). */
  now?: () => number;
  /** Verified tokens remembered, default 10 000 (and at most 16 MiB of token text). */
  cacheSize?: number;
}

// jsonwebtoken messages → what the client may be told. Its own messages echo the expected issuer/audience.
function reasonFor(err: unknown): string {
  if (err instanceof jwt.TokenExpiredError) return 'token expired';
  if (err instanceof jwt.NotBeforeError) return 'token not yet valid';
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('jwt audience invalid')) return 'audience not accepted';
  if (message.startsWith('jwt issuer invalid')) return 'issuer not accepted';
  if (message === 'invalid signature') return 'signature invalid';
  if (message === 'invalid algorithm') return 'algorithm not accepted';
  if (message.startsWith('secretOrPublicKey must be') || message.startsWith('"alg" parameter')) return 'algorithm does not match the key';
  return 'token is malformed';
}

/** Reads `alg` and `kid` from the protected header without trusting anything else (the payload is not decoded). */
export function readHeader(token: string): JwtHeader & { alg: string } {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[0] || !parts[1]) throw invalidCredentials('token is malformed');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch (err) {
    throw invalidCredentials('token is malformed', err);
  }
  if (!isJsonObject(header) || typeof header.alg !== 'string') throw invalidCredentials('token is malformed');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw invalidCredentials('token is malformed');
  // RFC 7515 §4.1.11: a recipient that does not understand a `crit` extension must reject the JWS.
  if (header.crit !== undefined) throw invalidCredentials('token uses unsupported critical header parameters');
  return header.kid === undefined ? { alg: header.alg as JwtAlgorithm } : { alg: header.alg as JwtAlgorithm, kid: header.kid };
}

interface CachedToken {
  principal: Principal;
  expMs: number;
}

/** Verifies bearer JWTs for one issuer; create once at start-up. */
export class JwtVerifier {
  /** Counters for benchmarks and tests: signature verifications performed and cache hits served. */
  readonly stats = { signatureChecks: 0, cacheHits: 0 };
  private readonly options: Required<Pick<JwtVerifierOptions, 'now'>> & JwtVerifierOptions;
  private readonly verifyOptions: jwt.VerifyOptions & { complete?: false };
  private readonly cache: LRUCache<string, CachedToken>;

  constructor(options: JwtVerifierOptions) {
    if (options.algorithms.length === 0) throw new Error('JwtVerifier needs at least one algorithm');
    if (options.audience.length === 0) throw new Error('JwtVerifier needs at least one audience');
    this.options = { ...options, now: options.now ?? Date.now };
    this.verifyOptions = {
      algorithms: [...options.algorithms],
      issuer: options.issuer,
      audience: [...options.audience] as [string, ...string[]],
      clockTolerance: Math.floor(options.clockSkewMs / 1000),
    };
    this.cache = new LRUCache<string, CachedToken>({
      max: options.cacheSize ?? 10_000,
      maxSize: 16 * 1024 * 1024,
      sizeCalculation: (_value, token) => token.length + 256,
      perf: { now: this.options.now },
    });
  }

  /** Returns the Principal of a valid token, or throws INVALID_TOKEN (401) with a safe reason / AUTH_UNAVAILABLE (503). */
  async verify(token: string): Promise<Principal> {
    if (token.length > MAX_TOKEN_BYTES) throw invalidCredentials('token too large');
    const hit = this.cache.get(token);
    if (hit) {
      // Only ever a token that passed every check below; still refused once its exp has passed, and not
      // served while the keys themselves are unusable (the full path then answers 503 like for any other token).
      if (this.options.now() < hit.expMs && this.options.keys.isReady?.() !== false) {
        this.stats.cacheHits++;
        return hit.principal;
      }
      this.cache.delete(token);
    }
    const header = readHeader(token);
    if (!this.options.algorithms.includes(header.alg)) throw invalidCredentials('algorithm not accepted');
    const key = await this.options.keys.keyFor(header);
    const now = this.options.now();
    let payload: unknown;
    this.stats.signatureChecks++;
    try {
      payload = jwt.verify(token, key, { ...this.verifyOptions, clockTimestamp: Math.floor(now / 1000) });
    } catch (err) {
      throw invalidCredentials(reasonFor(err), err);
    }
    try {
      checkClaims(payload, this.options, now);
    } catch (err) {
      if (err instanceof ClaimError) throw invalidCredentials(err.message, err);
      throw err;
    }
    const principal = principalFromClaims(payload);
    const expMs = payload.exp * 1000;
    if (expMs > now) this.cache.set(token, { principal, expMs }, { ttl: expMs - now });
    return principal;
  }

  /** Forgets every verified token, e.g. when a signing key was withdrawn from the JWKS. */
  clearCache(): void {
    this.cache.clear();
  }
}

/** A KeySource for one HS256/384/512 shared secret (first-party local development only), parsed once into a KeyObject. */
export function secretKeySource(secret: string): KeySource {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return {
    async keyFor(header: JwtHeader): Promise<KeyObject> {
      // A shared secret never verifies asymmetric algorithms: the HS/RS key-confusion guard beyond the allow-list.
      if (!header.alg.startsWith('HS')) throw invalidCredentials('algorithm does not match the key');
      return key;
    },
  };
}
