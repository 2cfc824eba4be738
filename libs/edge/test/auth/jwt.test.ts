import { expect } from 'chai';
import type { KeyObject } from 'node:crypto';
import { createSecretKey } from 'node:crypto';
import { isEdgeError } from '../../src/errors';
import { JwtVerifier, MAX_TOKEN_BYTES, secretKeySource, type JwtHeader, type KeySource } from '../../src/auth/jwt';
import { keyFitsAlgorithm } from '../../src/auth/jwk-import';
import { checkClaims, ClaimError } from '../../src/auth/claims';
import type { JwtAlgorithm } from '../../src/config';
import { AUDIENCE, claims, ecKey, hmacToken, ISSUER, noneToken, rsaKey, sec, sign } from './fixtures';

const SECRET = 'a-local-development-secret-of-32+chars';
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

// A KeySource over fixed keys, counting lookups; it applies the same kid/alg rules as the JWKS cache.
function staticKeys(keys: Record<string, KeyObject>): KeySource & { lookups: number } {
  const source = {
    lookups: 0,
    async keyFor(header: JwtHeader): Promise<KeyObject> {
      source.lookups++;
      const key = header.kid === undefined ? undefined : keys[header.kid];
      if (!key || !keyFitsAlgorithm(key, header.alg)) throw new Error(`no key for ${header.kid}/${header.alg}`);
      return key;
    },
  };
  return source;
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: number; detail?: string; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (err) {
    if (isEdgeError(err)) return { code: err.code, status: err.status, detail: err.detail, headers: { ...err.headers } };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('JwtVerifier', () => {
  const rsa = rsaKey('rsa-1');
  const ec = ecKey('ec-1');
  let clock = T0;
  const now = () => clock;
  let keys: ReturnType<typeof staticKeys>;
  let verifier: JwtVerifier;

  const make = (algorithms: JwtAlgorithm[], source: KeySource, extra: Partial<ConstructorParameters<typeof JwtVerifier>[0]> = {}) =>
    new JwtVerifier({ issuer: ISSUER, audience: ['other-api', AUDIENCE], algorithms, clockSkewMs: 60_000, maxLifetimeMs: 86_400_000, keys: source, now, ...extra });

  beforeEach(() => {
    clock = T0;
    keys = staticKeys({ 'rsa-1': rsa.publicKey, 'ec-1': ec.publicKey });
    verifier = make(['RS256', 'ES256'], keys);
  });

  it('accepts a valid RS256 token and maps its claims to a principal', async () => {
    const token = sign(claims(T0, { azp: 'mobile-app', roles: ['consumer'] }), rsa.privateKey, 'RS256', 'rsa-1');
    const principal = await verifier.verify(token);
    expect(principal).to.deep.equal({
      kind: 'jwt',
      issuer: ISSUER,
      subject: 'consumer-1',
      scopes: ['orders:read', 'orders:write'],
      roles: ['consumer'],
      clientId: 'mobile-app',
      expiresAt: sec(T0) + 900,
    });
  });

  it('accepts a valid ES256 token, reading scp as an array and client_id', async () => {
    const token = sign(claims(T0, { scope: undefined, scp: ['orders:read'], client_id: 'web' }), ec.privateKey, 'ES256', 'ec-1');
    const principal = await verifier.verify(token);
    expect(principal.scopes).to.deep.equal(['orders:read']);
    expect(principal.clientId).to.equal('web');
  });

  it('accepts a valid HS256 token with a shared secret held as a KeyObject', async () => {
    const hs = make(['HS256'], secretKeySource(SECRET));
    const principal = await hs.verify(sign(claims(T0), createSecretKey(Buffer.from(SECRET)), 'HS256'));
    expect(principal.subject).to.equal('consumer-1');
  });

  const refusals: Array<[string, () => string, string]> = [
    ['a forged signature', () => sign(claims(T0), rsaKey('rsa-1').privateKey, 'RS256', 'rsa-1'), 'signature invalid'],
    ['an expired token', () => sign(claims(T0, { iat: sec(T0) - 3600, exp: sec(T0) - 120 }), rsa.privateKey, 'RS256', 'rsa-1'), 'token expired'],
    ['a token not yet valid', () => sign(claims(T0, { nbf: sec(T0) + 300 }), rsa.privateKey, 'RS256', 'rsa-1'), 'token not yet valid'],
    ['a wrong audience', () => sign(claims(T0, { aud: 'someone-else' }), rsa.privateKey, 'RS256', 'rsa-1'), 'audience not accepted'],
    ['a wrong issuer', () => sign(claims(T0, { iss: 'https://evil.example/' }), rsa.privateKey, 'RS256', 'rsa-1'), 'issuer not accepted'],
    ['a token without exp', () => sign(claims(T0, { exp: undefined }), rsa.privateKey, 'RS256', 'rsa-1'), 'token has no expiry'],
    ['a lifetime over 24 h', () => sign(claims(T0, { exp: sec(T0) + 86_400 + 60 }), rsa.privateKey, 'RS256', 'rsa-1'), 'token lifetime exceeds the maximum'],
    ['a lifetime over 24 h without iat', () => sign(claims(T0, { iat: undefined, exp: sec(T0) + 90_000 }), rsa.privateKey, 'RS256', 'rsa-1'), 'token lifetime exceeds the maximum'],
    ['iat in the future beyond the skew', () => sign(claims(T0, { iat: sec(T0) + 120 }), rsa.privateKey, 'RS256', 'rsa-1'), 'token issued in the future'],
    ['a token without sub', () => sign(claims(T0, { sub: undefined }), rsa.privateKey, 'RS256', 'rsa-1'), 'token has no subject'],
    ['garbage', () => 'not.a.jwt', 'token is malformed'],
    ['a crit header', () => sign(claims(T0), rsa.privateKey, 'RS256', 'rsa-1').replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'rsa-1', crit: ['exp'] })).toString('base64url')), 'token uses unsupported critical header parameters'],
  ];
  for (const [what, token, detail] of refusals) {
    it(`refuses ${what} with 401 INVALID_TOKEN "${detail}"`, async () => {
      const t = token();
      const err = await rejection(verifier.verify(t));
      expect(err).to.include({ code: 'INVALID_TOKEN', status: 401, detail });
      expect(err.headers['WWW-Authenticate']).to.match(/^Bearer realm="portico", error="invalid_token"/);
      expect(JSON.stringify(err)).not.to.contain(t.split('.')[2] || t);
      expect(JSON.stringify(err)).not.to.contain(ISSUER.replace('https://', ''));
    });
  }

  it('refuses payloads that are not a JSON object (a string, an array)', async () => {
    for (const payload of ['just a string', [claims(T0)]]) {
      expect(await rejection(verifier.verify(sign(payload, rsa.privateKey, 'RS256', 'rsa-1')))).to.include({ code: 'INVALID_TOKEN', status: 401 });
    }
    // jsonwebtoken's audience check already trips on these; the object check holds on its own as well.
    expect(() => checkClaims([claims(T0)], { clockSkewMs: 60_000, maxLifetimeMs: 86_400_000 }, T0)).to.throw(ClaimError, 'token payload is not a JSON object');
    expect(() => checkClaims('x', { clockSkewMs: 60_000, maxLifetimeMs: 86_400_000 }, T0)).to.throw(ClaimError, 'token payload is not a JSON object');
  });

  it('accepts a token within the clock skew of exp, nbf and iat', async () => {
    const token = sign(claims(T0, { iat: sec(T0) + 30, nbf: sec(T0) + 30, exp: sec(T0) + 600 }), rsa.privateKey, 'RS256', 'rsa-1');
    expect((await verifier.verify(token)).subject).to.equal('consumer-1');
  });

  it('refuses alg none before looking up a key, even with the kid of a real key', async () => {
    const err = await rejection(verifier.verify(noneToken(claims(T0), 'rsa-1')));
    expect(err).to.include({ code: 'INVALID_TOKEN', detail: 'algorithm not accepted' });
    expect(keys.lookups).to.equal(0);
    expect(verifier.stats.signatureChecks).to.equal(0);
  });

  it('refuses an algorithm outside the allow-list (HS256 on an RS/ES verifier)', async () => {
    const token = hmacToken({ alg: 'HS256', kid: 'rsa-1' }, claims(T0), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(await rejection(verifier.verify(token))).to.include({ detail: 'algorithm not accepted' });
    expect(keys.lookups).to.equal(0);
  });

  it('refuses HS256 signed with the RSA public key PEM even when HS256 is (wrongly) allowed next to RS256', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const token = hmacToken({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' }, claims(T0), pem);
    // The public KeyObject never verifies an HMAC: jsonwebtoken and keyFitsAlgorithm both refuse the pairing.
    const mixed = make(['RS256', 'HS256'], { keyFor: async () => rsa.publicKey });
    expect(await rejection(mixed.verify(token))).to.include({ code: 'INVALID_TOKEN', detail: 'algorithm does not match the key' });
    // And a secret-backed verifier refuses it too: the PEM is not the secret.
    const hs = make(['HS256'], secretKeySource(SECRET));
    expect(await rejection(hs.verify(token))).to.include({ detail: 'signature invalid' });
  });

  it('refuses a token larger than 8 KB before decoding, key lookup or crypto', async () => {
    const big = sign(claims(T0, { pad: 'x'.repeat(MAX_TOKEN_BYTES) }), rsa.privateKey, 'RS256', 'rsa-1');
    expect(big.length).to.be.greaterThan(MAX_TOKEN_BYTES);
    const err = await rejection(verifier.verify(big));
    expect(err).to.include({ code: 'INVALID_TOKEN', detail: 'token too large' });
    expect(keys.lookups).to.equal(0);
    expect(verifier.stats.signatureChecks).to.equal(0);
  });

  it('answers a repeated token from the cache without crypto, and refuses it once exp has passed', async () => {
    const token = sign(claims(T0, { exp: sec(T0) + 120 }), rsa.privateKey, 'RS256', 'rsa-1');
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).to.equal(first);
    expect(verifier.stats).to.deep.equal({ signatureChecks: 1, cacheHits: 1 });
    expect(keys.lookups).to.equal(1);
    // Past exp + skew: the cache entry is dropped and the full check refuses the token.
    clock = T0 + 181_000;
    expect(await rejection(verifier.verify(token))).to.include({ detail: 'token expired' });
    expect(verifier.stats.cacheHits).to.equal(1);
  });

  it('does not serve a cache hit after exp even within the skew; the full check decides', async () => {
    const token = sign(claims(T0, { exp: sec(T0) + 120 }), rsa.privateKey, 'RS256', 'rsa-1');
    await verifier.verify(token);
    clock = T0 + 150_000;
    expect((await verifier.verify(token)).subject).to.equal('consumer-1');
    expect(verifier.stats).to.deep.equal({ signatureChecks: 2, cacheHits: 0 });
  });

  it('never caches a refused token: a forged token stays refused on every try', async () => {
    const forged = sign(claims(T0), rsaKey('rsa-1').privateKey, 'RS256', 'rsa-1');
    for (let i = 0; i < 3; i++) expect(await rejection(verifier.verify(forged))).to.include({ detail: 'signature invalid' });
    expect(verifier.stats).to.deep.equal({ signatureChecks: 3, cacheHits: 0 });
  });

  it('re-checks a cached token while its key source reports no usable keys', async () => {
    let usable = true;
    const source: KeySource = {
      keyFor: async (h) => {
        if (!usable) throw new Error(`keys unavailable for ${h.kid}`);
        return rsa.publicKey;
      },
      isReady: () => usable,
    };
    const v = make(['RS256'], source);
    const token = sign(claims(T0), rsa.privateKey, 'RS256', 'rsa-1');
    await v.verify(token);
    await v.verify(token);
    usable = false;
    const err = await v.verify(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).to.contain('keys unavailable');
    expect(v.stats).to.deep.equal({ signatureChecks: 1, cacheHits: 1 });
  });

  it('forgets cached tokens on clearCache()', async () => {
    const token = sign(claims(T0), rsa.privateKey, 'RS256', 'rsa-1');
    await verifier.verify(token);
    verifier.clearCache();
    await verifier.verify(token);
    expect(verifier.stats.signatureChecks).to.equal(2);
  });

  it('secretKeySource refuses asymmetric algorithms outright', async () => {
    const err = await secretKeySource(SECRET)
      .keyFor({ alg: 'RS256' })
      .then(() => undefined, (e: unknown) => e);
    expect(isEdgeError(err) && err.detail).to.equal('algorithm does not match the key');
  });
});
