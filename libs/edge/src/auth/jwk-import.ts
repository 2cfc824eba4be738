/**
 * Turns a JWKS document into verification KeyObjects, refusing keys Portico must not trust (docs/edge-defaults.md):
 * non-signing keys, symmetric keys, RSA under 2048 bits, EC keys off their algorithm's curve. Fetching is jwks-fetch's job.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../config';
import type { EdgeLogger } from '../state';
import { isJsonObject } from './claims';

/** A signing key from a JWKS, parsed once. */
export interface ImportedKey {
  kid: string;
  key: KeyObject;
  /** The JWK's own `alg`, when it names one; a token must then use exactly that algorithm. */
  alg?: JwtAlgorithm;
}

/** The smallest RSA modulus accepted (NIST SP 800-57; docs/edge-defaults.md). */
export const MIN_RSA_BITS = 2048;

const RSA_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
// Node's names for the curves RFC 7518 §3.4 binds to each ECDSA algorithm.
const CURVE_OF: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** True when `key` can verify tokens signed with `alg` (family, and for ECDSA the curve). */
export function keyFitsAlgorithm(key: KeyObject, alg: string): boolean {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return RSA_ALGS.has(alg);
  if (type === 'rsa-pss') return alg.startsWith('PS');
  if (type === 'ec') return CURVE_OF[alg] !== undefined && key.asymmetricKeyDetails?.namedCurve === CURVE_OF[alg];
  return false;
}

// Why a JWK is refused, or undefined when it is a usable signing key.
function refusal(jwk: Record<string, unknown>, key: KeyObject): string | undefined {
  const alg = typeof jwk.alg === 'string' ? jwk.alg : undefined;
  const type = key.asymmetricKeyType;
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return `RSA key of ${bits} bits is shorter than ${MIN_RSA_BITS}`;
  } else if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (!Object.values(CURVE_OF).includes(curve ?? '')) return `EC curve ${String(jwk.crv)} is not one of P-256, P-384, P-521`;
  } else {
    return `key type ${String(jwk.kty)} is not supported`;
  }
  if (alg !== undefined && !keyFitsAlgorithm(key, alg)) return `key does not fit its alg ${alg}`;
  return undefined;
}

/** Parses a JWKS document into signing keys by kid; refused keys are logged and left out. Throws when the document is not a JWKS. */
export function importJwks(document: unknown, logger: EdgeLogger, source: string): Map<string, ImportedKey> {
  if (!isJsonObject(document) || !Array.isArray(document.keys)) throw new Error(`${source} is not a JWK Set (no "keys" array)`);
  const keys = new Map<string, ImportedKey>();
  for (const jwk of document.keys as unknown[]) {
    if (!isJsonObject(jwk)) continue;
    const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : undefined;
    // RFC 7517 §4.2/§4.3: only keys meant for signatures; absent `use` means unrestricted.
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) continue;
    if (jwk.kty === 'oct') {
      logger.warn({ jwksUrl: source, kid }, 'JWKS symmetric key ignored');
      continue;
    }
    if (kid === undefined) {
      logger.warn({ jwksUrl: source }, 'JWKS key without kid ignored (kid is matched exactly)');
      continue;
    }
    if (keys.has(kid)) {
      logger.warn({ jwksUrl: source, kid }, 'JWKS duplicate kid ignored; the first key is kept');
      continue;
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch (err) {
      logger.warn({ jwksUrl: source, kid, reason: err instanceof Error ? err.message : String(err) }, 'JWKS key could not be parsed; ignored');
      continue;
    }
    const reason = refusal(jwk, key);
    if (reason !== undefined) {
      logger.warn({ jwksUrl: source, kid, reason }, 'JWKS key rejected');
      continue;
    }
    keys.set(kid, typeof jwk.alg === 'string' ? { kid, key, alg: jwk.alg as JwtAlgorithm } : { kid, key });
  }
  return keys;
}
