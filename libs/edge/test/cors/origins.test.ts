import { expect } from 'chai';
import { corsOriginsSchema, parseOrigin } from '../../src/cors';

describe('parseOrigin', () => {
  it('returns the serialised origin, lower-casing the host and dropping a default port', () => {
    expect(parseOrigin('https://App.Example.com')).to.equal('https://app.example.com');
    expect(parseOrigin('http://localhost:80')).to.equal('http://localhost');
    expect(parseOrigin(' http://127.0.0.1:8080 ')).to.equal('http://127.0.0.1:8080');
  });

  it('says why a value is not an origin', () => {
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'https://app.example.com?x=1', 'https://user@app.example.com', 'file:///tmp', '']) {
      const parsed = parseOrigin(bad);
      expect(parsed, bad).to.have.property('problem').that.matches(/expected an origin/);
    }
    expect(parseOrigin('*')).to.deep.equal({ problem: '"*" is not allowed; list each browser-app origin' });
  });
});

describe('corsOriginsSchema (CORS_ALLOWED_ORIGINS)', () => {
  it('parses a comma-separated list, ignoring blanks and duplicates', () => {
    expect(corsOriginsSchema.parse('http://127.0.0.1:8080, http://localhost:8080,,http://localhost:8080')).to.deep.equal(['http://127.0.0.1:8080', 'http://localhost:8080']);
  });

  it('reports every bad entry', () => {
    const result = corsOriginsSchema.safeParse('https://ok.example,*,https://x.example/app');
    expect(result.success).to.equal(false);
    expect(result.error?.issues.map((i) => i.message)).to.have.length(2);
  });
});
