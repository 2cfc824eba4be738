import { expect } from 'chai';
import { quotaFor, rateLimitPolicySchema } from '../../src/ratelimit';
import type { Principal } from '../../src/state';

describe('rateLimitPolicySchema', () => {
  it('reads durations into milliseconds and fails open by default', () => {
    expect(rateLimitPolicySchema.parse({ limit: 100, per: '1m' })).to.deep.equal({ limit: 100, per: 60_000, onStoreFailure: 'open' });
  });

  it('accepts key, failure mode, name and plans', () => {
    const policy = rateLimitPolicySchema.parse({ limit: 10, per: '1s', key: 'client', onStoreFailure: 'closed', name: 'token-issue', plans: { gold: { limit: 50, per: '1h' } } });
    expect(policy).to.deep.include({ key: 'client', onStoreFailure: 'closed', name: 'token-issue', plans: { gold: { limit: 50, per: 3_600_000 } } });
  });

  for (const [input, problem] of [
    [{ limit: 0, per: '1m' }, 'limit'],
    [{ limit: 1.5, per: '1m' }, 'limit'],
    [{ limit: 10, per: '500ms' }, 'per'],
    [{ limit: 10, per: '1.5s' }, 'per'],
    [{ limit: 10, per: 'soon' }, 'per'],
    [{ limit: 10, per: '1m', key: 'ip' }, 'key'],
    [{ limit: 10, per: '1m', onStoreFailure: 'maybe' }, 'onStoreFailure'],
    [{ limit: 10, per: '1m', name: 'has "quotes"' }, 'name'],
    [{ limit: 10, per: '1m', plans: { gold: { limit: 5 } } }, 'plans'],
    [{ limit: 10, per: '1m', burst: 5 }, ''],
  ] as const) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const result = rateLimitPolicySchema.safeParse(input);
      expect(result.success).to.equal(false);
      expect(result.error?.issues.map((i) => String(i.path[0] ?? ''))).to.include(problem);
    });
  }
});

describe('quotaFor', () => {
  const policy = rateLimitPolicySchema.parse({ limit: 10, per: '1m', plans: { gold: { limit: 100, per: '1h' } } });
  const principal = (plan?: string): Principal => ({ kind: 'api-key', issuer: 'portico:api-key', subject: 'acme', scopes: [], roles: [], ...(plan ? { plan } : {}) });

  it('uses the plan’s limit when the policy names the principal’s plan', () => {
    expect(quotaFor(policy, principal('gold'))).to.deep.equal({ limit: 100, windowMs: 3_600_000 });
  });

  it('uses the default limit for an unknown plan, no plan or no principal', () => {
    for (const who of [principal('platinum'), principal(), undefined]) expect(quotaFor(policy, who)).to.deep.equal({ limit: 10, windowMs: 60_000 });
  });
});
