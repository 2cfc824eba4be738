import { expect } from 'chai';
import { createSecretKey } from 'node:crypto';
import { ConfigError, type EdgeConfig } from '../../src/config';
import { isEdgeError } from '../../src/errors';
import { generateApiKey, type ApiKeyRecord } from '../../src/auth/api-keys';
import { createAuthenticator, type Authenticator } from '../../src/auth/authenticator';
import { AUDIENCE, claims, ecKey, ISSUER, JwksServer, recordingLogger, rsaKey, sign } from './fixtures';

const SECRET = 'portico-local-development-secret-0123456789';
const base: EdgeConfig['auth'] = { issuer: ISSUER, audience: [AUDIENCE], algorithms: ['RS256', 'ES256'], clockSkewMs: 60_000, maxLifetimeMs: 86_400_000 };

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number; detail?: string; headers: Record<string, string> }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isEdgeError(err)) throw new Error(`expected an EdgeError, got ${String(err)}`);
  return { code: err.code, status: err.status, detail: err.detail, headers: { ...err.headers } };
}

describe('createAuthenticator', () => {
  const rsa1 = rsaKey('rsa-1');
  const rsa2 = rsaKey('rsa-2');
  const ec = ecKey('ec-1');
  const jwks = new JwksServer();
  const opened: Authenticator[] = [];
  const open = (config: EdgeConfig['auth'], deps: Partial<Parameters<typeof createAuthenticator>[1]> = {}) => {
    const authenticator = createAuthenticator(config, { logger: recordingLogger(), ...deps });
    opened.push(authenticator);
    return authenticator;
  };

  before(() => jwks.start());
  after(() => jwks.stop());
  beforeEach(() => {
    jwks.keys = [rsa1.jwk, ec.jwk];
    jwks.requests = 0;
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((a) => a.close()));
  });

  it('with JWKS_URL: loads the keys at start-up, then verifies RS256 and ES256 bearer tokens', async () => {
    const authenticator = open({ ...base, jwksUrl: jwks.url });
    expect(authenticator.supports('jwt')).to.equal(true);
    expect(authenticator.supports('api-key')).to.equal(false);
    await authenticator.ready();
    expect(authenticator.isReady()).to.equal(true);
    expect((await authenticator.verifyBearer(sign(claims(Date.now()), rsa1.privateKey, 'RS256', 'rsa-1'))).subject).to.equal('consumer-1');
    expect((await authenticator.verifyBearer(sign(claims(Date.now()), ec.privateKey, 'ES256', 'ec-1'))).kind).to.equal('jwt');
    expect(jwks.requests).to.equal(1);
  });

  it('with JWT_SECRET: verifies HS256 and refuses asymmetric tokens', async () => {
    const authenticator = open({ ...base, secret: SECRET, algorithms: ['HS256'] });
    await authenticator.ready();
    expect((await authenticator.verifyBearer(sign(claims(Date.now()), createSecretKey(Buffer.from(SECRET)), 'HS256'))).subject).to.equal('consumer-1');
    expect(await refusal(authenticator.verifyBearer(sign(claims(Date.now()), rsa1.privateKey, 'RS256', 'rsa-1')))).to.include({ detail: 'algorithm not accepted' });
  });

  it('is not ready when the JWKS is unreachable at start-up: ready() says why, tokens get 503 with Retry-After', async () => {
    const url = 'http://127.0.0.1:1/jwks.json';
    const authenticator = open({ ...base, jwksUrl: url });
    const err = await authenticator.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).to.contain(`signing keys could not be loaded from ${url}`);
    expect(authenticator.isReady()).to.equal(false);
    const refused = await refusal(authenticator.verifyBearer(sign(claims(Date.now()), rsa1.privateKey, 'RS256', 'rsa-1')));
    expect(refused).to.include({ code: 'AUTH_UNAVAILABLE', status: 503 });
    expect(refused.headers['Retry-After']).to.equal('5');
  });

  it('forgets cached tokens when their signing key is withdrawn from the JWKS', async () => {
    const authenticator = open({ ...base, jwksUrl: jwks.url }, { jwks: { maxAgeMs: 150 } });
    await authenticator.ready();
    const token = sign(claims(Date.now()), rsa1.privateKey, 'RS256', 'rsa-1');
    await authenticator.verifyBearer(token);
    await authenticator.verifyBearer(token);
    expect(authenticator.jwt?.stats.cacheHits).to.equal(1);
    jwks.keys = [rsa2.jwk];
    const deadline = Date.now() + 3000;
    while (jwks.requests < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 50));
    expect(await refusal(authenticator.verifyBearer(token))).to.include({ code: 'INVALID_TOKEN', detail: 'signing key not recognised' });
    expect((await authenticator.verifyBearer(sign(claims(Date.now()), rsa2.privateKey, 'RS256', 'rsa-2'))).subject).to.equal('consumer-1');
  });

  it('routes a pk_ Bearer value to the API key store only when API keys are accepted', async () => {
    const { key, record } = generateApiKey({ owner: 'partner-2', scopes: ['menus:read'] });
    const records = new Map<string, ApiKeyRecord>([[record.id, record]]);
    const authenticator = open({ ...base, jwksUrl: jwks.url }, { apiKeys: { find: async (id) => records.get(id) } });
    await authenticator.ready();
    expect((await authenticator.verifyBearer(key, ['jwt', 'api-key'])).subject).to.equal('partner-2');
    expect(await refusal(authenticator.verifyBearer(key))).to.include({ detail: 'API keys are not accepted here' });
  });

  it('is not ready while the API key file cannot be read, naming the file', async () => {
    const authenticator = open({ ...base, apiKeysFile: '/nonexistent/portico-keys.json' });
    const err = await authenticator.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).to.contain('API key file /nonexistent/portico-keys.json could not be read');
    expect(authenticator.isReady()).to.equal(false);
  });

  it('refuses configurations that mix HS* with a JWKS, or lack issuer or audience', () => {
    expect(() => open({ ...base, jwksUrl: jwks.url, algorithms: ['RS256', 'HS256'] })).to.throw(ConfigError, /asymmetric/);
    expect(() => open({ ...base, secret: SECRET, algorithms: ['HS256', 'RS256'] })).to.throw(ConfigError, /JWT_SECRET only verifies/);
    expect(() => open({ ...base, issuer: undefined, secret: SECRET, algorithms: ['HS256'] })).to.throw(ConfigError, /JWT_ISSUER/);
    expect(() => open({ ...base, audience: [], jwksUrl: jwks.url })).to.throw(ConfigError, /JWT_AUDIENCE/);
  });
});
