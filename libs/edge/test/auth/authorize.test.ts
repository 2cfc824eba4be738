import { expect } from 'chai';
import type { Middleware } from 'koa';
import { createSecretKey } from 'node:crypto';
import { ConfigError } from '../../src/config';
import { EdgeError } from '../../src/errors';
import type { EdgeState } from '../../src/state';
import { authenticate } from '../../src/auth/authenticate';
import { createAuthenticator, type Authenticator } from '../../src/auth/authenticator';
import { authorize, requireOwner } from '../../src/auth/authorize';
import { authPolicySchema, type AuthPolicy } from '../../src/auth/policy';
import { AUDIENCE, claims, ISSUER, recordingLogger, sign } from './fixtures';
import { startApp, type TestApp } from './http-app';

const SECRET = 'portico-local-development-secret-0123456789';
const policy = (input: Partial<AuthPolicy>): AuthPolicy => authPolicySchema.parse(input);

describe('authorize middleware and requireOwner (Koa over loopback, problem+json)', () => {
  let authenticator: Authenticator;
  let app: TestApp;
  const orders: Record<string, string> = { o1: 'consumer-1', o2: 'consumer-2' };

  const token = (extra: Record<string, unknown>) => sign(claims(Date.now(), extra), createSecretKey(Buffer.from(SECRET)), 'HS256');
  const get = (path: string, extra?: Record<string, unknown>) => fetch(`${app.base}${path}`, extra ? { headers: { authorization: `Bearer ${token(extra)}` } } : {});
  const chain = (input: Partial<AuthPolicy>, terminal: Middleware<EdgeState>) => [authenticate(policy(input), { authenticator }), authorize(policy(input)), terminal];
  const ok: Middleware<EdgeState> = async function ok(ctx) {
    ctx.body = { ok: true };
  };
  const getOrder: Middleware<EdgeState> = async function getOrder(ctx) {
    const id = ctx.path.split('/')[2] ?? '';
    const owner = orders[id];
    if (owner === undefined) throw new EdgeError('NOT_FOUND', { detail: 'No such resource' });
    requireOwner(ctx, owner);
    ctx.body = { id, owner };
  };

  before(async () => {
    authenticator = createAuthenticator(
      { issuer: ISSUER, audience: [AUDIENCE], secret: SECRET, algorithms: ['HS256'], clockSkewMs: 60_000, maxLifetimeMs: 86_400_000 },
      { logger: recordingLogger() },
    );
    await authenticator.ready();
    app = await startApp({
      '/write': chain({ scopes: ['orders:read', 'orders:write'] }, ok),
      '/staff': chain({ roles: ['admin', 'support'] }, ok),
      '/maybe': chain({ auth: 'optional', scopes: ['menus:read'] }, ok),
      '/orders': chain({ scopes: ['orders:read'] }, getOrder),
    });
  });
  after(async () => {
    await app.close();
    await authenticator.close();
  });
  beforeEach(() => {
    app.afterNext.length = 0;
    app.terminalRuns.length = 0;
  });

  it('answers 403 FORBIDDEN with error="insufficient_scope" and the required scopes when one is missing', async () => {
    const res = await get('/write', { scope: 'orders:read' });
    expect(res.status).to.equal(403);
    expect(res.headers.get('www-authenticate')).to.equal('Bearer realm="portico", error="insufficient_scope", scope="orders:read orders:write"');
    expect(await res.json()).to.deep.equal({
      type: 'urn:portico:problem:forbidden',
      title: 'Insufficient permissions',
      status: 403,
      detail: 'missing scope orders:write',
      requestId: 'req-test',
    });
    expect(app.terminalRuns).to.deep.equal([]);
    // After next() resolved the principal is still there: the caller was identified, just not allowed.
    expect(app.afterNext).to.deep.equal([{ path: '/write', status: 403, principal: 'consumer-1' }]);
  });

  it('lets a principal holding every required scope through, reading scp as well as scope', async () => {
    expect((await get('/write', { scope: 'orders:write profile orders:read' })).status).to.equal(200);
    expect((await get('/write', { scope: undefined, scp: ['orders:read', 'orders:write'] })).status).to.equal(200);
    expect(app.terminalRuns).to.deep.equal(['/write', '/write']);
    expect(app.afterNext.map((a) => a.status)).to.deep.equal([200, 200]);
  });

  it('requires any one of the listed roles', async () => {
    expect((await get('/staff', { roles: ['support'] })).status).to.equal(200);
    const denied = await get('/staff', { roles: ['consumer'] });
    expect(denied.status).to.equal(403);
    expect(denied.headers.get('www-authenticate')).to.equal('Bearer realm="portico", error="insufficient_scope"');
    expect(await denied.json()).to.include({ detail: 'requires one of the roles admin, support' });
    expect((await get('/staff', {})).status).to.equal(403);
  });

  it('answers an anonymous caller on an optional route that needs a scope with 401, not 403', async () => {
    const res = await get('/maybe');
    expect(res.status).to.equal(401);
    expect(await res.json()).to.include({ type: 'urn:portico:problem:unauthenticated' });
    expect((await get('/maybe', { scope: 'menus:read' })).status).to.equal(200);
  });

  it('requireOwner answers someone else’s resource exactly like a missing one (404), and serves the owner', async () => {
    const own = await get('/orders/o1', { scope: 'orders:read' });
    expect(own.status).to.equal(200);
    expect(await own.json()).to.deep.equal({ id: 'o1', owner: 'consumer-1' });
    const theirs = await get('/orders/o2', { scope: 'orders:read' });
    const missing = await get('/orders/o9', { scope: 'orders:read' });
    expect(theirs.status).to.equal(404);
    expect(await theirs.json()).to.deep.equal(await missing.json());
    expect(app.afterNext.map((a) => [a.status, a.principal])).to.deep.equal([
      [200, 'consumer-1'],
      [404, 'consumer-1'],
      [404, 'consumer-1'],
    ]);
  });

  it('requireOwner refuses when there is no principal or no owner', () => {
    const ctx = { state: {} } as Parameters<typeof requireOwner>[0];
    expect(() => requireOwner(ctx, 'consumer-1')).to.throw(EdgeError, 'No such resource');
    ctx.state.principal = { kind: 'jwt', issuer: ISSUER, subject: 'consumer-1', scopes: [], roles: [] };
    expect(() => requireOwner(ctx, undefined)).to.throw(EdgeError);
    expect(() => requireOwner(ctx, 'consumer-1')).not.to.throw();
  });

  it('refuses at start-up a route with auth none that requires scopes', () => {
    expect(() => authorize(policy({ auth: 'none', scopes: ['orders:read'] }))).to.throw(ConfigError);
  });

  it('validates the policy slice with its defaults and rejects unknown credentials or malformed scopes', () => {
    expect(authPolicySchema.parse({})).to.deep.equal({ auth: 'required', scopes: [], roles: [], credentials: ['jwt'] });
    expect(authPolicySchema.safeParse({ credentials: ['cookie'] }).success).to.equal(false);
    expect(authPolicySchema.safeParse({ scopes: ['orders read'] }).success).to.equal(false);
    expect(authPolicySchema.safeParse({ auth: 'maybe' }).success).to.equal(false);
  });
});
