/** Test keys have the strength the edge requires, tokens carry sensible defaults, and the served JWKS verifies them. */
import { createPublicKey } from 'node:crypto';
import { expect } from 'chai';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { Agent, request } from 'undici';
import {
  createTestKeys,
  hs256Token,
  JWKS_PATH,
  signTestToken,
  startJwksServer,
  TEST_TOKEN_DEFAULTS,
  type JwksServer,
  type TestJwk,
  type TestKeys,
} from '../src/credentials';

describe('credentials', () => {
  let keys: TestKeys;

  before(() => {
    keys = createTestKeys();
  });

  describe('createTestKeys', () => {
    it('creates an RSA 2048 and an EC P-256 key pair with distinct kids and public-only JWKs', () => {
      expect(keys.rsa.privateKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
      expect(keys.ec.publicKey.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
      expect(keys.rsa.kid).to.not.equal(keys.ec.kid);
      expect(keys.rsa.jwk).to.include({ kty: 'RSA', kid: keys.rsa.kid, alg: 'RS256', use: 'sig' });
      expect(keys.ec.jwk).to.include({ kty: 'EC', crv: 'P-256', kid: keys.ec.kid, alg: 'ES256', use: 'sig' });
      expect(keys.rsa.jwk).to.not.have.property('d');
      expect(keys.ec.jwk).to.not.have.property('d');
      expect(keys.jwks().keys.map((k) => k.kid)).to.deep.equal([keys.rsa.kid, keys.ec.kid]);
    });
  });

  describe('signTestToken', () => {
    it('signs RS256 with the RSA kid and default iss, aud, sub, iat now and exp in 5 minutes', () => {
      const decoded = jwt.decode(signTestToken(keys), { complete: true });
      expect(decoded?.header).to.include({ alg: 'RS256', kid: keys.rsa.kid });
      const payload = decoded?.payload as JwtPayload;
      expect(payload).to.include({ iss: TEST_TOKEN_DEFAULTS.issuer, aud: TEST_TOKEN_DEFAULTS.audience, sub: TEST_TOKEN_DEFAULTS.subject });
      expect(payload.iat).to.be.closeTo(Math.floor(Date.now() / 1000), 2);
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).to.equal(300);
    });

    it('lets claims replace defaults and signs ES256 with the EC key on request', () => {
      const token = signTestToken(keys, { sub: 'courier-9', scope: 'orders:read' }, { key: 'ec' });
      const verified = jwt.verify(token, keys.ec.publicKey, { algorithms: ['ES256'] }) as JwtPayload;
      expect(verified).to.include({ sub: 'courier-9', scope: 'orders:read' });
      expect(jwt.decode(token, { complete: true })?.header.kid).to.equal(keys.ec.kid);
    });

    it('produces an expired token for a negative lifetime, a token without exp, and a foreign kid when asked', () => {
      const expired = signTestToken(keys, {}, { expiresInSeconds: -60 });
      expect(() => jwt.verify(expired, keys.rsa.publicKey, { algorithms: ['RS256'] })).to.throw(jwt.TokenExpiredError);
      const endless = jwt.decode(signTestToken(keys, {}, { noExpiry: true })) as JwtPayload;
      expect(endless).to.not.have.property('exp');
      expect(jwt.decode(signTestToken(keys, {}, { kid: 'unknown' }), { complete: true })?.header.kid).to.equal('unknown');
    });
  });

  describe('hs256Token', () => {
    it('signs HS256 with the shared secret and the same default claims', () => {
      const secret = 'a-local-development-secret-of-32+chars';
      const verified = jwt.verify(hs256Token(secret, { scope: 'x' }), secret, { algorithms: ['HS256'] }) as JwtPayload;
      expect(verified).to.include({ iss: TEST_TOKEN_DEFAULTS.issuer, sub: TEST_TOKEN_DEFAULTS.subject, scope: 'x' });
      expect(() => jwt.verify(hs256Token(secret), 'another-secret-another-secret-123', { algorithms: ['HS256'] })).to.throw(jwt.JsonWebTokenError);
    });
  });

  describe('startJwksServer', () => {
    let jwks: JwksServer;

    // A fresh client per fetch, like a JWKS cache refetching after its sockets idled out.
    const fetchJwks = async () => {
      const agent = new Agent();
      try {
        const res = await request(jwks.url, { dispatcher: agent });
        return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as { keys: TestJwk[] } };
      } finally {
        await agent.close();
      }
    };

    beforeEach(async () => {
      jwks = await startJwksServer(keys);
    });

    afterEach(async () => {
      await jwks.stop();
    });

    it('serves the public keys as a JWKS with a cache lifetime and counts fetches', async () => {
      expect(jwks.url).to.equal(`http://127.0.0.1:${jwks.upstream.port}${JWKS_PATH}`);
      const first = await fetchJwks();
      expect(first.status).to.equal(200);
      expect(first.headers['cache-control']).to.equal('max-age=600');
      expect(first.body).to.deep.equal(keys.jwks());
      await fetchJwks();
      expect(jwks.fetches).to.equal(2);
    });

    it('serves keys a signed token verifies against with jsonwebtoken, picked by kid', async () => {
      const { body } = await fetchJwks();
      for (const which of ['rsa', 'ec'] as const) {
        const token = signTestToken(keys, { scope: 'orders:read' }, { key: which });
        const kid = jwt.decode(token, { complete: true })?.header.kid;
        const jwk = body.keys.find((k) => k.kid === kid);
        expect(jwk, `JWK for ${which}`).to.not.equal(undefined);
        const publicKey = createPublicKey({ key: jwk as TestJwk, format: 'jwk' });
        const verified = jwt.verify(token, publicKey, {
          algorithms: [keys[which].alg],
          issuer: TEST_TOKEN_DEFAULTS.issuer,
          audience: TEST_TOKEN_DEFAULTS.audience,
        }) as JwtPayload;
        expect(verified.scope).to.equal('orders:read');
      }
    });

    it('serves rotated keys after setKeys, fails as injected, and comes back after stop and restart', async () => {
      const rotated = createTestKeys();
      jwks.setKeys([rotated.ec.jwk]);
      expect((await fetchJwks()).body.keys.map((k) => k.kid)).to.deep.equal([rotated.ec.kid]);
      jwks.upstream.failNext(1, 'status500');
      expect((await fetchJwks()).status).to.equal(500);
      await jwks.stop();
      const refused = await fetchJwks().catch((err: { code?: string }) => err.code);
      expect(refused).to.equal('ECONNREFUSED');
      await jwks.restart();
      expect((await fetchJwks()).status).to.equal(200);
    });
  });
});
