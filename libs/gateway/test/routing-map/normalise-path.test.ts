import { expect } from 'chai';
import { isEdgeError } from '@portico/edge';
import { decodeSegment, encodeSegment, normalisePath } from '../../src/routing-map/normalise-path';
import { buildPath, parsePattern, type PatternSegment } from '../../src/routing-map/path-pattern';

function rejected(path: string): string {
  try {
    normalisePath(path);
  } catch (err) {
    expect(isEdgeError(err), String(err)).to.equal(true);
    return (err as { code: string }).code;
  }
  throw new Error(`${path} was accepted`);
}

describe('normalisePath', () => {
  it('removes dot segments (RFC 3986 §5.2.4) and keeps case', () => {
    expect(normalisePath('/Orders/./A/../B')).to.equal('/Orders/B');
    expect(normalisePath('/orders/../admin')).to.equal('/admin');
    expect(normalisePath('/a/b/..')).to.equal('/a');
    expect(normalisePath('/.')).to.equal('/');
  });

  it('decodes encoded dots before removing dot segments', () => {
    expect(normalisePath('/orders/%2e%2e/admin')).to.equal('/admin');
    expect(normalisePath('/orders/%2E./admin')).to.equal('/admin');
    expect(normalisePath('/%7euser/%41')).to.equal('/~user/A');
  });

  it('merges repeated slashes and drops a trailing slash', () => {
    expect(normalisePath('//orders///42/')).to.equal('/orders/42');
    expect(normalisePath('/')).to.equal('/');
  });

  it('keeps reserved escapes encoded, with upper-case hex', () => {
    expect(normalisePath('/search/a%20b%3fc')).to.equal('/search/a%20b%3Fc');
    expect(normalisePath('/x/%252e%252e')).to.equal('/x/%252e%252e');
  });

  it('rejects encoded slashes, backslashes, NUL, stray "%" and climbing above root with INVALID_PATH', () => {
    for (const path of ['/orders/..%2Fadmin', '/orders/a%2fb', '/a%5Cb', '/a\\b', '/a%00', '/a%zz', '/..', '/a/../../b', '/a b', 'orders']) {
      expect(rejected(path), path).to.equal('INVALID_PATH');
    }
  });
});

describe('path parameters', () => {
  it('decodes a segment and re-encodes it so it cannot add "/" or ".."', () => {
    expect(decodeSegment('a%20b')).to.equal('a b');
    expect(encodeSegment('a/b')).to.equal('a%2Fb');
    expect(() => encodeSegment('..')).to.throw();
    expect(() => decodeSegment('%E0%A4%A')).to.throw();
  });

  it('builds an upstream path from a pattern with each value encoded', () => {
    const pattern = parsePattern('/v1/orders/:orderId/files/*rest') as PatternSegment[];
    expect(buildPath(pattern, { orderId: '4 2', rest: 'a/b c/d' })).to.equal('/v1/orders/4%202/files/a/b%20c/d');
    expect(buildPath(pattern, { orderId: '../admin', rest: 'x' })).to.equal('/v1/orders/..%2Fadmin/files/x');
  });

  it('explains what is wrong with a bad pattern', () => {
    expect(parsePattern('orders')).to.match(/beginning with "\/"/);
    expect(parsePattern('/orders/')).to.match(/trailing/);
    expect(parsePattern('/orders//x')).to.match(/empty segment/);
    expect(parsePattern('/orders/:id/:id')).to.match(/appears twice/);
    expect(parsePattern('/files/*rest/x')).to.match(/last segment/);
    expect(parsePattern('/orders/../x')).to.match(/expected segments/);
  });
});
