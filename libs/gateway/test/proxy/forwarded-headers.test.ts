import { expect } from 'chai';
import { clientAddressFrom } from '@portico/edge';
import { forwardedChain, forwardingHeaders, principalHeaders, socketForwardingHeaders, type ArrivalInfo } from '../../src/proxy/forwarded-headers';
import { PROXY_PATHS, proxyVia, startUpstream, type TestProxy, type TestUpstream } from './proxy-harness';
import { send } from './http-client';

describe('forwarding headers', () => {
  it('with 0 trusted hops, replaces a spoofed X-Forwarded-For with the peer', () => {
    expect(forwardedChain({ remoteAddress: '::ffff:10.0.0.9', forwardedFor: '6.6.6.6', trustedProxyHops: 0 })).to.deep.equal(['10.0.0.9']);
  });

  it('with trusted hops, keeps only the entries those proxies wrote', () => {
    expect(forwardedChain({ remoteAddress: '10.0.0.1', forwardedFor: '6.6.6.6, 203.0.113.7', trustedProxyHops: 1 })).to.deep.equal(['203.0.113.7', '10.0.0.1']);
    expect(forwardedChain({ remoteAddress: '10.0.0.1', forwardedFor: ['6.6.6.6', 'not-an-ip'], trustedProxyHops: 1 })).to.deep.equal(['10.0.0.1']);
    expect(forwardedChain({ remoteAddress: '10.0.0.1', forwardedFor: '6.6.6.6, 198.51.100.4:4431, [2001:db8::1]:443', trustedProxyHops: 2 })).to.deep.equal([
      '198.51.100.4',
      '2001:db8::1',
      '10.0.0.1',
    ]);
  });

  it('starts with the same client address the access log and rate limits use', () => {
    const cases: Array<[string, string | undefined, number]> = [
      ['::ffff:10.0.0.9', '6.6.6.6', 0],
      ['10.0.0.1', '6.6.6.6, 203.0.113.7', 1],
      ['10.0.0.1', '6.6.6.6, 203.0.113.7', 5],
      ['10.0.0.1', '6.6.6.6, junk, 203.0.113.7', 3],
      ['10.0.0.1', undefined, 2],
    ];
    for (const [remoteAddress, forwardedFor, trustedProxyHops] of cases) {
      expect(forwardedChain({ remoteAddress, forwardedFor, trustedProxyHops })[0]).to.equal(clientAddressFrom(remoteAddress, forwardedFor, trustedProxyHops));
    }
  });

  it('answers each request on a socket as forwardingHeaders does, reusing the previous answer only when nothing it derives from changed', () => {
    const socket = {};
    const first: ArrivalInfo = { remoteAddress: '10.0.0.1', host: 'api.example.com', protocol: 'http', trustedProxyHops: 1 };
    const requests: ArrivalInfo[] = [
      first,
      { ...first },
      { ...first, host: 'other.example.com' },
      { ...first, host: 'other.example.com', forwardedFor: '203.0.113.7' },
      { ...first, host: 'other.example.com', forwardedFor: '203.0.113.8' },
      { ...first, host: 'other.example.com', forwardedFor: '203.0.113.8', forwardedProto: 'https' },
      { ...first, host: 'other.example.com', forwardedFor: '203.0.113.8', forwardedProto: 'https', forwardedHost: 'shop.example' },
      { ...first, forwardedFor: ['203.0.113.8', '203.0.113.9'] },
      { ...first, protocol: 'https' },
      { ...first, trustedProxyHops: 0, forwardedFor: '203.0.113.7' },
      { ...first, remoteAddress: '10.0.0.2' },
    ];
    const answers = requests.map((info) => socketForwardingHeaders(socket, info));
    answers.forEach((answer, i) => expect(answer, `request ${i}`).to.deep.equal(forwardingHeaders(requests[i]!)));
    expect(answers[1]).to.equal(answers[0]);
    expect(new Set(answers.slice(1)).size).to.equal(answers.length - 1);
    expect(Object.isFrozen(answers[0])).to.equal(true);
    // Another connection never sees this one's headers.
    expect(socketForwardingHeaders({}, { ...first, remoteAddress: '10.9.9.9' })['x-forwarded-for']).to.equal('10.9.9.9');
  });

  it('builds RFC 7239 Forwarded with bracketed, quoted IPv6 and trusts X-Forwarded-Proto/Host only from trusted hops', () => {
    const base = { remoteAddress: '::1', host: 'api.example.com', protocol: 'http' as const, forwardedProto: 'https', forwardedHost: 'evil.example' };
    expect(forwardingHeaders({ ...base, trustedProxyHops: 0 })).to.deep.equal({
      'x-forwarded-for': '::1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com',
      forwarded: 'for="[::1]";host=api.example.com;proto=http',
    });
    expect(forwardingHeaders({ ...base, forwardedFor: '198.51.100.4', trustedProxyHops: 1 })).to.deep.equal({
      'x-forwarded-for': '198.51.100.4, ::1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
      forwarded: 'for=198.51.100.4;host=evil.example;proto=https, for="[::1]"',
    });
  });

  it('drops a Host that is not a plain host name', () => {
    expect(forwardingHeaders({ remoteAddress: '127.0.0.1', host: 'a b;for=x', protocol: 'http', trustedProxyHops: 0 })).to.not.have.property(
      'x-forwarded-host',
    );
  });

  it('carries the verified principal, percent-encoding what a header cannot hold', () => {
    expect(principalHeaders(undefined)).to.deep.equal({});
    expect(
      principalHeaders({ kind: 'jwt', issuer: 'https://id.example', subject: 'zoë', scopes: ['orders:read', 'orders:write'], roles: [], clientId: 'mobile' }),
    ).to.deep.equal({
      'x-principal-subject': 'zo%C3%AB',
      'x-principal-issuer': 'https://id.example',
      'x-principal-kind': 'jwt',
      'x-principal-scopes': 'orders:read orders:write',
      'x-principal-roles': '',
      'x-principal-client-id': 'mobile',
    });
  });
});

for (const via of PROXY_PATHS) describe(`forwarding headers through the proxy ${via.label}`, () => {
  const startProxy = proxyVia(via);
  let upstream: TestUpstream;
  const routes = 'routes:\n  - { id: thing, method: GET, path: /thing, upstream: "${U}/thing", policy: { auth: none } }\n';
  const spoofed = {
    'X-Forwarded-For': '6.6.6.6',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': 'evil.example',
    Forwarded: 'for=6.6.6.6',
    'X-Real-IP': '6.6.6.6',
    'X-User-Id': 'admin',
    'X-Scopes': 'admin',
    'X-Principal-Subject': 'admin',
    'X-Rewrite-URL': '/admin',
    'X-Request-Id': 'client-chosen',
  };

  before(async () => (upstream = await startUpstream((_req, res) => res.end('ok'))));
  after(() => upstream.close());
  beforeEach(() => (upstream.seen.length = 0));

  it('replaces spoofed forwarding and identity headers when no proxy is trusted, and adds the principal', async () => {
    const proxy: TestProxy = await startProxy(
      routes,
      { U: upstream.url },
      { principal: { kind: 'jwt', issuer: 'https://id.example', subject: 'user-7', scopes: ['orders:read'], roles: ['consumer'] } },
    );
    try {
      await send(proxy.url, '/thing', { headers: spoofed });
      const seen = upstream.seen[0]?.headers ?? {};
      expect(seen['x-forwarded-for']).to.equal('127.0.0.1');
      expect(seen['x-forwarded-proto']).to.equal('http');
      expect(seen['x-forwarded-host']).to.match(/^127\.0\.0\.1:\d+$/);
      expect(seen.forwarded).to.match(/^for=127\.0\.0\.1;host="?127\.0\.0\.1:\d+"?;proto=http$/);
      expect(seen['x-real-ip']).to.equal(undefined);
      expect(seen['x-user-id']).to.equal(undefined);
      expect(seen['x-scopes']).to.equal(undefined);
      expect(seen['x-rewrite-url']).to.equal(undefined);
      expect(seen['x-request-id']).to.equal('req-1');
      expect(seen['x-principal-subject']).to.equal('user-7');
      expect(seen['x-principal-issuer']).to.equal('https://id.example');
      expect(seen['x-principal-scopes']).to.equal('orders:read');
      expect(seen['x-principal-client-id']).to.equal(undefined);
    } finally {
      await proxy.close();
    }
  });

  it('sends no principal headers for an anonymous request, even when the client sent some', async () => {
    const proxy = await startProxy(routes, { U: upstream.url });
    try {
      await send(proxy.url, '/thing', { headers: spoofed });
      expect(Object.keys(upstream.seen[0]?.headers ?? {}).filter((name) => name.startsWith('x-principal-'))).to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });

  it('keeps the entries written by a trusted proxy hop', async () => {
    const proxy = await startProxy(routes, { U: upstream.url }, { trustedProxyHops: 1 });
    try {
      await send(proxy.url, '/thing', {
        headers: { 'X-Forwarded-For': '6.6.6.6, 203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example.com' },
      });
      const seen = upstream.seen[0]?.headers ?? {};
      expect(seen['x-forwarded-for']).to.equal('203.0.113.7, 127.0.0.1');
      expect(seen['x-forwarded-proto']).to.equal('https');
      expect(seen['x-forwarded-host']).to.equal('api.example.com');
      expect(seen.forwarded).to.equal('for=203.0.113.7;host=api.example.com;proto=https, for=127.0.0.1');
    } finally {
      await proxy.close();
    }
  });
});
