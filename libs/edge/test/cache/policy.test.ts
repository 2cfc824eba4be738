import { expect } from 'chai';
import { cachePolicySchema, DEFAULT_MAX_BODY_SIZE } from '../../src/cache';

describe('cachePolicySchema', () => {
  it('parses durations and applies defaults: private, no vary, all query parameters, 512 KiB bodies', () => {
    expect(cachePolicySchema.parse({ ttl: '30s' })).to.deep.equal({ ttl: 30_000, public: false, vary: [], maxBodySize: DEFAULT_MAX_BODY_SIZE });
    expect(DEFAULT_MAX_BODY_SIZE).to.equal(524_288);
  });

  it('lower-cases, de-duplicates and sorts vary names and sorts the query allow-list', () => {
    const policy = cachePolicySchema.parse({
      ttl: 500,
      public: true,
      vary: ['X-Tenant', 'Accept-Language', 'x-tenant'],
      query: ['size', 'page'],
      maxBodySize: '1MiB',
    });
    expect(policy).to.deep.equal({ ttl: 500, public: true, vary: ['accept-language', 'x-tenant'], query: ['page', 'size'], maxBodySize: 1_048_576 });
  });

  it('rejects a missing or zero ttl, a bad duration, a Vary of *, and unknown keys', () => {
    const problems = (value: unknown) => {
      const result = cachePolicySchema.safeParse(value);
      return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(problems({})).to.have.length(1);
    expect(problems({ ttl: 0 })[0]).to.match(/^ttl: expected a positive duration/);
    expect(problems({ ttl: 'soon' })[0]).to.match(/^ttl: expected a duration like "2s"/);
    expect(problems({ ttl: '1s', vary: ['*'] })[0]).to.match(/^vary\.0: /);
    expect(problems({ ttl: '1s', vary: ['bad header'] })[0]).to.match(/^vary\.0: expected a header name/);
    expect(problems({ ttl: '1s', shared: true })[0]).to.match(/shared/);
  });
});
