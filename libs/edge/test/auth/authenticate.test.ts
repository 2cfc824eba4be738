import { expect } from 'chai';
import type { Middleware } from 'koa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config';
import type { EdgeConfig } from '../../src/config';
import type { EdgeState } from '../../src/state';
import { authenticate } from '../../src/auth/authenticate';
import { createAuthenticator, type Authenticator } from '../../src/auth/authenticator';
import { generateApiKey } from '../../src/auth/api-keys';
import { authPolicySchema, type AuthPolicy } from '../../src/auth/policy';
import { AUDIENCE, claims, ecKey, hmacToken, ISSUER, JwksServer, recordingLogger, rsaKey, sign } from './fixtures';
import { startApp, type TestApp } from './http-app';

const policy = (input: Partial<AuthPolicy>): AuthPolicy => authPolicySchema.parse(input);

describe('authenticate middleware (Koa over loopback, problem+json)', () => {
  const rsa = rsaKey('rsa-1');
  const ec = ecKey('ec-1');
  const jwks = new JwksServer();
  const key = generateApiKey({ owner: 'partner-1', scopes: ['menus:read'], plan: 'partner' });
  let dir: string;
  let authenticator: Authenticator;
  let app: TestApp;

  const whoAmI: Middleware<EdgeState> = async function whoAmI(ctx) {
    ctx.body = { principal: ctx.state.principal ?? null };
  };
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.base}${path}`, { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const valid = () => sign(claims(Date.now()), rsa.privateKey, 'RS256', 'rsa-1');

  before(async () => {
    await jwks.start();
    jwks.keys = [rsa.jwk, ec.jwk];
    dir = await mkdtemp(join(tmpdir(), 'portico-auth-'));
    await writeFile(join(dir, 'keys.json'), JSON.stringify([key.record]));
    const config: EdgeConfig['auth'] = {
      issuer: ISSUER,
      audience: [AUDIENCE],
      jwksUrl: jwks.url,
      algorithms: ['RS256', 'ES256'],
      clockSkewMs: 60_000,
      maxLifetimeMs: 86_400_000,
      apiKeysFile: join(dir, 'keys.json'),
    };
    authenticator = createAuthenticator(config, { logger: recordingLogger() });
    await authenticator.ready();
    const deps = { authenticator };
    app = await startApp({
      '/required': [authenticate(policy({ auth: 'required' }), deps), whoAmI],
      '/optional': [authenticate(policy({ auth: 'optional' }), deps), whoAmI],
      '/none': [authenticate(policy({ auth: 'none' }), deps), whoAmI],
      '/keys-only': [authenticate(policy({ credentials: ['api-key'] }), deps), whoAmI],
      '/either': [authenticate(policy({ credentials: ['jwt', 'api-key'] }), deps), whoAmI],
    });
  });
  after(async () => {
    await app.close();
    await authenticator.close();
    await jwks.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    app.afterNext.length = 0;
    app.terminalRuns.length = 0;
  });

  it('answers 401 UNAUTHENTICATED with a bare Bearer challenge when credentials are missing, and never runs the route', async () => {
    const res = await get('/required');
    expect(res.status).to.equal(401);
    expect(res.headers.get('content-type')).to.equal('application/problem+json');
    expect(res.headers.get('www-authenticate')).to.equal('Bearer realm="portico"');
    expect(await res.json()).to.deep.equal({
      type: 'urn:portico:problem:unauthenticated',
      title: 'Authentication required',
      status: 401,
      detail: 'this route requires credentials',
      requestId: 'req-test',
    });
    expect(app.terminalRuns).to.deep.equal([]);
    expect(app.afterNext).to.deep.equal([{ path: '/required', status: 401, principal: undefined }]);
  });

  it('sets ctx.state.principal for a valid RS256 token; after next() the response is the route’s, untouched', async () => {
    const res = await get('/required', bearer(valid()));
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { principal: Record<string, unknown> };
    expect(body.principal).to.include({ kind: 'jwt', issuer: ISSUER, subject: 'consumer-1' });
    expect(body.principal.scopes).to.deep.equal(['orders:read', 'orders:write']);
    expect(app.terminalRuns).to.deep.equal(['/required']);
    expect(app.afterNext).to.deep.equal([{ path: '/required', status: 200, principal: 'consumer-1' }]);
  });

  it('accepts ES256 as well', async () => {
    const res = await get('/required', bearer(sign(claims(Date.now(), { sub: 'courier-3' }), ec.privateKey, 'ES256', 'ec-1')));
    expect(res.status).to.equal(200);
    expect(app.afterNext[0]?.principal).to.equal('courier-3');
  });

  const bad: Array<[string, () => Record<string, string>, string]> = [
    ['an expired token', () => bearer(sign(claims(Date.now() - 7_200_000), rsa.privateKey, 'RS256', 'rsa-1')), 'token expired'],
    ['a wrong audience', () => bearer(sign(claims(Date.now(), { aud: 'billing' }), rsa.privateKey, 'RS256', 'rsa-1')), 'audience not accepted'],
    ['a forged signature', () => bearer(sign(claims(Date.now()), rsaKey('rsa-1').privateKey, 'RS256', 'rsa-1')), 'signature invalid'],
    ['HS256 signed with the RSA public key PEM', () => bearer(hmacToken({ alg: 'HS256', kid: 'rsa-1' }, claims(Date.now()), rsa.publicKey.export({ type: 'spki', format: 'pem' }))), 'algorithm not accepted'],
    ['an oversized token', () => bearer(sign(claims(Date.now(), { pad: 'x'.repeat(9000) }), rsa.privateKey, 'RS256', 'rsa-1')), 'token too large'],
    ['a Basic credential', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), 'authorization scheme not supported; use Bearer'],
    ['an empty Bearer', () => ({ authorization: 'Bearer ' }), 'token is malformed'],
  ];
  for (const [what, headers, detail] of bad) {
    it(`answers 401 INVALID_TOKEN with error="invalid_token" for ${what}`, async () => {
      const sent = headers();
      const res = await get('/required', sent);
      const text = await res.text();
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/^Bearer realm="portico", error="invalid_token"/);
      expect(JSON.parse(text)).to.include({ type: 'urn:portico:problem:invalid-token', status: 401, detail });
      const credential = Object.values(sent)[0]?.replace(/^\w+ /, '') ?? '';
      if (credential.length > 8) expect(text).not.to.contain(credential.slice(-24));
      expect(app.terminalRuns).to.deep.equal([]);
    });
  }

  it('optional auth: anonymous passes, a valid token sets the principal, a present invalid token is still 401', async () => {
    const anonymous = await get('/optional');
    expect(anonymous.status).to.equal(200);
    expect(await anonymous.json()).to.deep.equal({ principal: null });
    const known = await get('/optional', bearer(valid()));
    expect(((await known.json()) as { principal: { subject: string } }).principal.subject).to.equal('consumer-1');
    const invalid = await get('/optional', bearer('not.a.token'));
    expect(invalid.status).to.equal(401);
    expect(invalid.headers.get('www-authenticate')).to.contain('error="invalid_token"');
    expect(app.afterNext.map((a) => a.status)).to.deep.equal([200, 200, 401]);
  });

  it('auth none reads nothing: even a garbage token passes without a principal', async () => {
    const res = await get('/none', bearer('garbage'));
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ principal: null });
  });

  it('accepts an API key via X-API-Key and via Bearer on routes that take API keys', async () => {
    for (const headers of [{ 'x-api-key': key.key }, bearer(key.key)]) {
      const res = await get('/keys-only', headers);
      expect(res.status).to.equal(200);
      expect(((await res.json()) as { principal: Record<string, unknown> }).principal).to.include({
        kind: 'api-key',
        issuer: 'portico:api-key',
        subject: 'partner-1',
        clientId: key.record.id,
        plan: 'partner',
      });
    }
    expect((await get('/either', { 'x-api-key': key.key })).status).to.equal(200);
    expect((await get('/either', bearer(valid()))).status).to.equal(200);
  });

  it('refuses a wrong API key secret, a JWT on a key-only route, an API key on a JWT-only route, and two credentials at once', async () => {
    const wrong = `${key.key.slice(0, 20)}${'A'.repeat(43)}`;
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['/keys-only', { 'x-api-key': wrong }, 401, 'API key not recognised'],
      ['/keys-only', bearer(valid()), 401, 'bearer tokens are not accepted here'],
      ['/required', bearer(key.key), 401, 'API keys are not accepted here'],
      ['/either', { ...bearer(valid()), 'x-api-key': key.key }, 401, 'send one credential, not both Authorization and X-API-Key'],
    ];
    for (const [path, headers, status, detail] of cases) {
      const res = await get(path, headers);
      expect(res.status, `${path} ${detail}`).to.equal(status);
      expect(await res.json()).to.include({ detail });
    }
    // X-API-Key is not even read where only JWTs are accepted: the request counts as carrying no credential.
    const ignored = await get('/required', { 'x-api-key': key.key });
    expect(ignored.status).to.equal(401);
    expect(await ignored.json()).to.include({ type: 'urn:portico:problem:unauthenticated' });
  });

  it('answers 503 AUTH_UNAVAILABLE with Retry-After, leaking no issuer address, while signing keys cannot be loaded', async () => {
    const offline = createAuthenticator({ issuer: ISSUER, audience: [AUDIENCE], jwksUrl: 'http://127.0.0.1:1/jwks.json', algorithms: ['RS256'], clockSkewMs: 60_000, maxLifetimeMs: 86_400_000 }, { logger: recordingLogger() });
    const down = await startApp({ '/required': [authenticate(policy({}), { authenticator: offline }), whoAmI] });
    try {
      await offline.ready().catch(() => undefined);
      const res = await fetch(`${down.base}/required`, { headers: bearer(valid()) });
      const text = await res.text();
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('5');
      expect(JSON.parse(text)).to.include({ type: 'urn:portico:problem:auth-unavailable', status: 503, detail: 'signing keys are unavailable' });
      expect(text).not.to.match(/127\.0\.0\.1|jwks|ECONNREFUSED/i);
    } finally {
      await down.close();
      await offline.close();
    }
  });

  it('fails at start-up when a route accepts only credentials this process cannot check', () => {
    const jwtOnly = createAuthenticator({ algorithms: ['RS256'], clockSkewMs: 60_000, maxLifetimeMs: 86_400_000 }, { logger: recordingLogger() });
    expect(() => authenticate(policy({ credentials: ['api-key'] }), { authenticator: jwtOnly })).to.throw(ConfigError, /policy\.credentials/);
    expect(() => authenticate(policy({ credentials: ['jwt'] }), { authenticator: jwtOnly })).to.throw(ConfigError);
    expect(() => authenticate(policy({ auth: 'none' }), { authenticator: jwtOnly })).not.to.throw();
  });
});
