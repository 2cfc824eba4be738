/**
 * Test credentials: RSA and EC signing keys with kids, tokens signed with jsonwebtoken, a JWKS served from a real
 * loopback server, and HS256 tokens for local-development setups. Verifying them is the edge auth module's job.
 */
import { generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startMockUpstream, type MockUpstream } from './mock-upstream';

/** A public JWK as a JWKS serves it. */
export type TestJwk = JsonWebKey & { kid: string; alg: string; use: 'sig' };

/** One signing key pair. */
export interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public half as a JWK, with kid, alg and use. */
  jwk: TestJwk;
}

/** The key pairs a test signs with: RSA 2048 (RS256) and EC P-256 (ES256). */
export interface TestKeys {
  rsa: TestKey;
  ec: TestKey;
  /** `{ keys: [rsa.jwk, ec.jwk] }`: what a JWKS endpoint answers. */
  jwks(): { keys: TestJwk[] };
}

/** Claims signTestToken puts in every token unless the test overrides them. */
export const TEST_TOKEN_DEFAULTS = { issuer: 'https://issuer.portico.test/', audience: 'portico', subject: 'user-1' } as const;

/** How signTestToken signs; every field is optional. */
export interface SignOptions {
  /** Which key signs (default `rsa`); the header carries its kid and alg. */
  key?: 'rsa' | 'ec';
  /** Seconds until `exp` (default 300); negative gives an expired token. */
  expiresInSeconds?: number;
  /** The clock, epoch ms (default Date.now()): sets `iat` and the base of `exp`. */
  now?: number;
  /** Overrides the header's kid (an unknown kid forces a JWKS refetch). */
  kid?: string;
  /** Leaves `exp` out entirely. */
  noExpiry?: boolean;
}

function testKey(type: 'rsa' | 'ec'): TestKey {
  const pair = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `${type}-${randomUUID().slice(0, 8)}`;
  const alg = type === 'rsa' ? 'RS256' : 'ES256';
  const jwk: TestJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

/** Generates fresh RSA 2048 and EC P-256 key pairs with random kids (~100 ms; create once per test file). */
export function createTestKeys(): TestKeys {
  const rsa = testKey('rsa');
  const ec = testKey('ec');
  return { rsa, ec, jwks: () => ({ keys: [rsa.jwk, ec.jwk] }) };
}

function timeClaims(options: SignOptions): Record<string, number> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return options.noExpiry ? { iat } : { iat, exp: iat + (options.expiresInSeconds ?? 300) };
}

/**
 * Signs a token with one of `keys` (RS256 by default). Defaults: iss, aud and sub from TEST_TOKEN_DEFAULTS, iat now,
 * exp in 5 minutes; any claim in `claims` replaces its default (e.g. `{ scope: 'orders:read', aud: 'other' }`).
 */
export function signTestToken(keys: TestKeys, claims: Record<string, unknown> = {}, options: SignOptions = {}): string {
  const key = keys[options.key ?? 'rsa'];
  const payload = {
    iss: TEST_TOKEN_DEFAULTS.issuer,
    aud: TEST_TOKEN_DEFAULTS.audience,
    sub: TEST_TOKEN_DEFAULTS.subject,
    ...timeClaims(options),
    ...claims,
  };
  return jwt.sign(payload, key.privateKey, { algorithm: key.alg, keyid: options.kid ?? key.kid });
}

/** Signs an HS256 token with a shared secret (local development setups only), with the same defaults as signTestToken. */
export function hs256Token(secret: string, claims: Record<string, unknown> = {}, options: Omit<SignOptions, 'key' | 'kid'> = {}): string {
  const payload = {
    iss: TEST_TOKEN_DEFAULTS.issuer,
    aud: TEST_TOKEN_DEFAULTS.audience,
    sub: TEST_TOKEN_DEFAULTS.subject,
    ...timeClaims(options),
    ...claims,
  };
  return jwt.sign(payload, secret, { algorithm: 'HS256' });
}

/** A running JWKS endpoint; see startJwksServer. */
export interface JwksServer {
  /** The JWKS URL (`http://127.0.0.1:<port>/.well-known/jwks.json`), for JWKS_URL. */
  readonly url: string;
  /** How many times the JWKS has been fetched. */
  readonly fetches: number;
  /** The mock upstream behind it, for failNext and setLatency. */
  readonly upstream: MockUpstream;
  /** Serves these keys from the next fetch on: a key rotation. */
  setKeys(keys: TestKeys | TestJwk[]): void;
  stop(): Promise<void>;
  /** Serves again on the same port: the issuer comes back. */
  restart(): Promise<void>;
}

/** The path the JWKS is served at. */
export const JWKS_PATH = '/.well-known/jwks.json';

/** Serves `keys` as a JWKS on 127.0.0.1 with `Cache-Control: max-age=600`, counting fetches. */
export async function startJwksServer(keys: TestKeys | TestJwk[]): Promise<JwksServer> {
  const toJwks = (k: TestKeys | TestJwk[]) => (Array.isArray(k) ? { keys: k } : k.jwks());
  let served = toJwks(keys);
  const upstream = await startMockUpstream();
  upstream.on('GET', JWKS_PATH, () => ({ json: served, headers: { 'cache-control': 'max-age=600' } }));
  return {
    get url() {
      return `${upstream.url}${JWKS_PATH}`;
    },
    get fetches() {
      return upstream.count('GET', JWKS_PATH);
    },
    upstream,
    setKeys(next) {
      served = toJwks(next);
    },
    stop: () => upstream.stop(),
    restart: () => upstream.restart(),
  };
}
