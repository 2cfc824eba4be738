import { expect } from 'chai';
import { isEdgeError } from '../../src/errors';
import { JwksCache, type JwksCacheOptions } from '../../src/auth/jwks-cache';
import type { JwtHeader } from '../../src/auth/jwt';
import { ecKey, JwksServer, recordingLogger, rsaKey } from './fixtures';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('JwksCache (loopback JWKS server)', () => {
  const rsa1 = rsaKey('rsa-1');
  const rsa2 = rsaKey('rsa-2');
  const ec1 = ecKey('ec-1');
  const server = new JwksServer();
  let clock = T0;
  let logger: ReturnType<typeof recordingLogger>;
  let cache: JwksCache | undefined;

  const open = (options: Partial<JwksCacheOptions> = {}): JwksCache => {
    cache = new JwksCache({ url: server.url, logger, now: () => clock, ...options });
    return cache;
  };
  const header = (kid: string | undefined, alg: JwtHeader['alg'] = 'RS256'): JwtHeader => (kid === undefined ? { alg } : { alg, kid });

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    clock = T0;
    logger = recordingLogger();
    server.requests = 0;
    server.status = 200;
    server.delayMs = 0;
    server.body = undefined;
    server.keys = [rsa1.jwk, ec1.jwk];
  });
  afterEach(() => cache?.close());

  it('loads the keys at start-up: ready() resolves, isReady() is true, keys are matched by kid', async () => {
    const jwks = open();
    expect(jwks.isReady()).to.equal(false);
    await jwks.start();
    expect(jwks.isReady()).to.equal(true);
    expect((await jwks.keyFor(header('rsa-1'))).asymmetricKeyType).to.equal('rsa');
    expect((await jwks.keyFor(header('ec-1', 'ES256'))).asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
    expect(server.requests).to.equal(1);
  });

  it('ignores non-signing, symmetric, short RSA, off-curve EC and kid-less keys, and logs the refusals', async () => {
    const small = rsaKey('rsa-small', 1024);
    const offCurve = ecKey('ec-384', 'P-384', { alg: 'ES256' });
    const encryption = rsaKey('rsa-enc', 2048, { use: 'enc' });
    const { kid: _kid, ...noKid } = rsaKey('x').jwk;
    server.keys = [rsa1.jwk, small.jwk, offCurve.jwk, encryption.jwk, noKid, { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' }];
    const jwks = open();
    await jwks.start();
    for (const kid of ['rsa-small', 'ec-384', 'rsa-enc', 'hmac']) {
      const err = await failure(jwks.keyFor(header(kid, kid.startsWith('ec') ? 'ES256' : 'RS256')));
      expect(isEdgeError(err) && err.detail, kid).to.equal('signing key not recognised');
    }
    const reasons = logger.warnings.map((w) => `${(w.obj as { kid?: string }).kid ?? '-'}: ${(w.obj as { reason?: string }).reason ?? w.msg}`);
    expect(reasons).to.include('rsa-small: RSA key of 1024 bits is shorter than 2048');
    expect(reasons).to.include('ec-384: key does not fit its alg ES256');
    expect(reasons.some((r) => r.startsWith('hmac:'))).to.equal(true);
    expect(reasons.some((r) => r.includes('without kid'))).to.equal(true);
    // Inside the 30 s window none of those unknown kids caused a refetch.
    expect(server.requests).to.equal(1);
  });

  it('refuses a kid whose key does not fit the token algorithm, and a token without kid', async () => {
    const jwks = open();
    await jwks.start();
    for (const [kid, alg] of [['rsa-1', 'HS256'], ['rsa-1', 'ES256'], ['ec-1', 'RS256'], ['ec-1', 'ES384']] as const) {
      const err = await failure(jwks.keyFor(header(kid, alg)));
      expect(isEdgeError(err) && err.detail, `${kid}/${alg}`).to.equal('algorithm does not match the key');
    }
    const err = await failure(jwks.keyFor(header(undefined)));
    expect(isEdgeError(err) && err.detail).to.equal('token has no key id');
  });

  it('refetches once for unknown kids (shared by concurrent lookups), then refuses unknown kids at once for 30 s', async () => {
    const jwks = open();
    await jwks.start();
    server.keys = [rsa1.jwk, rsa2.jwk];
    clock += 31_000;
    const lookups = await Promise.allSettled([...Array(5)].map(() => jwks.keyFor(header('rsa-2'))));
    expect(lookups.every((r) => r.status === 'fulfilled')).to.equal(true);
    expect(server.requests).to.equal(2);
    // A second unknown kid 10 s later: no fetch, and no waiting on a slow issuer either.
    server.delayMs = 1500;
    clock += 10_000;
    const started = Date.now();
    const err = await failure(jwks.keyFor(header('rsa-3')));
    expect(Date.now() - started).to.be.lessThan(100);
    expect(isEdgeError(err) && err).to.include({ code: 'INVALID_TOKEN', detail: 'signing key not recognised' });
    expect(server.requests).to.equal(2);
  });

  it('picks up a rotated key set in the background and reports withdrawn kids', async () => {
    const removed: string[][] = [];
    const jwks = new JwksCache({ url: server.url, logger, maxAgeMs: 150, onKeysRemoved: (kids) => removed.push(kids) });
    cache = jwks;
    await jwks.start();
    server.keys = [rsa2.jwk, ec1.jwk];
    const deadline = Date.now() + 3000;
    while (server.requests < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 50));
    expect((await jwks.keyFor(header('rsa-2'))).asymmetricKeyType).to.equal('rsa');
    expect(removed[0]).to.deep.equal(['rsa-1']);
  });

  it('keeps serving cached keys through an outage for up to an hour past freshness, then answers 503', async () => {
    const jwks = open();
    await jwks.start();
    await server.stop();
    try {
      clock += 11 * 60_000; // stale: a background refresh is attempted and fails
      expect((await jwks.keyFor(header('rsa-1'))).asymmetricKeyType).to.equal('rsa');
      await new Promise((r) => setTimeout(r, 100));
      expect(logger.warnings.some((w) => w.msg === 'JWKS refresh failed')).to.equal(true);
      clock += 45 * 60_000;
      expect(jwks.isReady()).to.equal(true);
      expect((await jwks.keyFor(header('rsa-1'))).asymmetricKeyType).to.equal('rsa');
      clock += 20 * 60_000; // now 76 min after the last successful fetch
      expect(jwks.isReady()).to.equal(false);
      const err = await failure(jwks.keyFor(header('rsa-1')));
      expect(isEdgeError(err) && err).to.include({ code: 'AUTH_UNAVAILABLE', status: 503 });
    } finally {
      await server.restart();
    }
    clock += 31_000;
    expect((await jwks.keyFor(header('rsa-1'))).asymmetricKeyType).to.equal('rsa');
    expect(jwks.isReady()).to.equal(true);
  });

  it('is not ready when the issuer is down at start-up, and says why', async () => {
    const jwks = new JwksCache({ url: 'http://127.0.0.1:1/.well-known/jwks.json', logger, now: () => clock });
    cache = jwks;
    const err = await failure(jwks.ready());
    expect(String(err)).to.match(/signing keys could not be loaded from http:\/\/127\.0\.0\.1:1\/\.well-known\/jwks\.json: JWKS fetch failed: ECONNREFUSED/);
    expect(jwks.isReady()).to.equal(false);
    const lookup = await failure(jwks.keyFor(header('rsa-1')));
    expect(isEdgeError(lookup) && lookup).to.include({ code: 'AUTH_UNAVAILABLE', detail: 'signing keys are unavailable' });
  });

  it('retries a failed first load after 500 ms, doubling towards 30 s, and is ready once the issuer answers', async () => {
    server.status = 503;
    const jwks = open({ firstRetryMs: 40, minRefetchMs: 200 });
    expect(String(await failure(jwks.ready()))).to.contain('HTTP 503');
    // Retries at +40, +80, +160 ms (then every 200 ms): four attempts within ~300 ms, not one per minRefetchMs.
    await new Promise((resolve) => setTimeout(resolve, 330));
    expect(jwks.stats.fetches).to.equal(4);
    expect(jwks.isReady()).to.equal(false);
    server.status = 200;
    const deadline = Date.now() + 1000;
    while (!jwks.isReady() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(jwks.isReady()).to.equal(true);
    expect(jwks.stats.fetches).to.equal(5);
  });

  it('fails the load on a non-200 answer, a body that is not a JWK Set, or one without usable keys', async () => {
    server.status = 500;
    expect(String(await failure(open().start()))).to.contain('HTTP 500');
    cache?.close();
    server.status = 200;
    server.body = '{"not":"a jwks"}';
    expect(String(await failure(open().start()))).to.contain('is not a JWK Set');
    cache?.close();
    server.body = undefined;
    server.keys = [rsaKey('small', 1024).jwk];
    expect(String(await failure(open().start()))).to.contain('no usable signing keys');
  });

  it('aborts a body larger than the size cap', async () => {
    server.keys = [...Array(40)].map((_, i) => ({ ...rsa1.jwk, kid: `k${i}` }));
    const err = await failure(open({ maxBytes: 4096 }).start());
    expect(String(err)).to.match(/exceeds 4096 bytes/);
  });

  it('gives up on a slow issuer after the fetch timeout', async () => {
    server.delayMs = 1000;
    const started = Date.now();
    const err = await failure(open({ timeoutMs: 150 }).start());
    expect(String(err)).to.contain('timed out');
    expect(Date.now() - started).to.be.lessThan(800);
  });
});
