import { expect } from 'chai';
import { RouteTable } from '../../src/router/route-table';
import { parsePattern, type PatternSegment } from '../../src/routing-map/path-pattern';

function table(): RouteTable<string> {
  const t = new RouteTable<string>();
  const add = (methods: string[], path: string) => t.insert(methods, parsePattern(path) as PatternSegment[], `${methods.join('|')} ${path}`);
  add(['GET'], '/');
  add(['GET', 'DELETE'], '/orders/:orderId');
  add(['GET'], '/orders/latest');
  add(['POST'], '/orders');
  add(['GET'], '/orders/:orderId/items/:itemId');
  add(['GET'], '/files/*rest');
  return t;
}

describe('RouteTable', () => {
  it('matches method and path and decodes parameters', () => {
    expect(table().match('GET', '/orders/a%20b')).to.deep.equal({ kind: 'found', value: 'GET|DELETE /orders/:orderId', params: { orderId: 'a b' } });
    expect(table().match('GET', '/orders/1/items/2')).to.deep.include({ params: { orderId: '1', itemId: '2' } });
    expect(table().match('GET', '/')).to.deep.include({ value: 'GET /' });
  });

  it('prefers a literal segment to a parameter', () => {
    expect(table().match('GET', '/orders/latest')).to.deep.include({ value: 'GET /orders/latest' });
    expect(table().match('DELETE', '/orders/latest')).to.deep.include({ value: 'GET|DELETE /orders/:orderId', params: { orderId: 'latest' } });
  });

  it('matches a catch-all on one or more remaining segments', () => {
    expect(table().match('GET', '/files/a/b')).to.deep.include({ params: { rest: 'a/b' } });
    expect(table().match('GET', '/files')).to.deep.equal({ kind: 'not-found' });
  });

  it('answers HEAD with the GET route', () => {
    expect(table().match('HEAD', '/orders/7')).to.deep.include({ kind: 'found', value: 'GET|DELETE /orders/:orderId' });
  });

  it('reports the allowed methods for a known path and another method', () => {
    expect(table().match('PUT', '/orders/7')).to.deep.equal({ kind: 'method-not-allowed', allow: ['DELETE', 'GET', 'HEAD'] });
    expect(table().match('GET', '/orders')).to.deep.equal({ kind: 'method-not-allowed', allow: ['POST'] });
  });

  it('finds nothing for an unknown path', () => {
    expect(table().match('GET', '/admin')).to.deep.equal({ kind: 'not-found' });
    expect(table().match('GET', '/orders/1/items')).to.deep.equal({ kind: 'not-found' });
  });

  it('refuses a second route for the same method and shape', () => {
    const t = table();
    expect(() => t.insert(['GET'], parsePattern('/orders/:id') as PatternSegment[], 'x')).to.throw(/duplicate/);
  });
});
