import { expect } from 'chai';
import { cacheKey, hasCredentials, selectQuery, strippedHeaders, type CacheKeyInput } from '../../src/cache/cache-key';
import { cachePolicySchema } from '../../src/cache';
import type { Principal } from '../../src/state';

const alice: Principal = { kind: 'jwt', issuer: 'https://issuer.test', subject: 'alice', scopes: [], roles: [] };

function input(overrides: Partial<CacheKeyInput> = {}): CacheKeyInput {
  return { method: 'GET', host: 'api.portico.test', path: '/orders', querystring: '', headers: {}, ...overrides };
}

describe('cacheKey', () => {
  const policy = cachePolicySchema.parse({ ttl: '30s' });

  it('is a sha256 hex digest', () => {
    expect(cacheKey(input(), policy)).to.match(/^[0-9a-f]{64}$/);
  });

  it('gives HEAD the GET key and other methods their own', () => {
    expect(cacheKey(input({ method: 'HEAD' }), policy)).to.equal(cacheKey(input(), policy));
    expect(cacheKey(input({ method: 'OPTIONS' }), policy)).not.to.equal(cacheKey(input(), policy));
  });

  it('separates hosts (case-insensitively) and paths (case kept)', () => {
    expect(cacheKey(input({ host: 'API.portico.test' }), policy)).to.equal(cacheKey(input(), policy));
    expect(cacheKey(input({ host: 'other.test' }), policy)).not.to.equal(cacheKey(input(), policy));
    expect(cacheKey(input({ path: '/Orders' }), policy)).not.to.equal(cacheKey(input(), policy));
  });

  it('sorts query parameters by name but keeps the order of repeated ones', () => {
    expect(cacheKey(input({ querystring: 'b=2&a=1' }), policy)).to.equal(cacheKey(input({ querystring: 'a=1&b=2' }), policy));
    expect(cacheKey(input({ querystring: 'a=2&a=1' }), policy)).not.to.equal(cacheKey(input({ querystring: 'a=1&a=2' }), policy));
    expect(cacheKey(input({ querystring: 'a=1' }), policy)).not.to.equal(cacheKey(input({ querystring: 'a=1&b=' }), policy));
  });

  it('ignores query parameters outside the allow-list', () => {
    const paged = cachePolicySchema.parse({ ttl: '30s', query: ['page'] });
    expect(cacheKey(input({ querystring: 'page=2&utm=x' }), paged)).to.equal(cacheKey(input({ querystring: 'page=2' }), paged));
    expect(cacheKey(input({ querystring: 'page=3' }), paged)).not.to.equal(cacheKey(input({ querystring: 'page=2' }), paged));
  });

  it('includes the values of the vary headers, telling absent from empty', () => {
    const byLanguage = cachePolicySchema.parse({ ttl: '30s', vary: ['Accept-Language'] });
    const en = cacheKey(input({ headers: { 'accept-language': 'en' } }), byLanguage);
    expect(cacheKey(input({ headers: { 'accept-language': 'en', 'user-agent': 'x' } }), byLanguage)).to.equal(en);
    expect(cacheKey(input({ headers: { 'accept-language': 'fr' } }), byLanguage)).not.to.equal(en);
    expect(cacheKey(input({ headers: { 'accept-language': '' } }), byLanguage)).not.to.equal(cacheKey(input(), byLanguage));
    expect(cacheKey(input({ headers: { 'accept-language': 'fr' } }), policy)).to.equal(cacheKey(input(), policy));
  });

  it('includes the principal unless the route is public', () => {
    const bob = { ...alice, subject: 'bob' };
    const otherIssuer = { ...alice, issuer: 'https://other.test' };
    expect(cacheKey(input({ principal: alice }), policy)).not.to.equal(cacheKey(input({ principal: bob }), policy));
    expect(cacheKey(input({ principal: alice }), policy)).not.to.equal(cacheKey(input({ principal: otherIssuer }), policy));
    expect(cacheKey(input({ principal: alice }), policy)).not.to.equal(cacheKey(input(), policy));
    const shared = cachePolicySchema.parse({ ttl: '30s', public: true });
    expect(cacheKey(input({ principal: alice }), shared)).to.equal(cacheKey(input({ principal: bob }), shared));
  });
});

describe('hasCredentials', () => {
  it('is true for a principal or an Authorization, X-Api-Key or Cookie header', () => {
    expect(hasCredentials(input())).to.equal(false);
    expect(hasCredentials(input({ principal: alice }))).to.equal(true);
    for (const name of ['authorization', 'x-api-key', 'cookie']) expect(hasCredentials(input({ headers: { [name]: 'x' } }))).to.equal(true);
  });
});

describe('selectQuery', () => {
  it('reports whether parameters were dropped', () => {
    expect(selectQuery('b=1&a=2', undefined)).to.deep.equal({
      pairs: [
        ['a', '2'],
        ['b', '1'],
      ],
      dropped: false,
    });
    expect(selectQuery('b=1&a=2', ['a'])).to.deep.equal({ pairs: [['a', '2']], dropped: true });
  });
});

describe('strippedHeaders', () => {
  it('strips unkeyed headers except those the route varies on, and X-Forwarded-Host only when proxies are not trusted', () => {
    const policy = cachePolicySchema.parse({ ttl: '30s', vary: ['accept-encoding'] });
    expect(strippedHeaders(policy, false)).to.include.members(['if-none-match', 'range', 'x-forwarded-host']).and.not.include('accept-encoding');
    expect(strippedHeaders(policy, true)).not.to.include('x-forwarded-host');
  });
});
