import { expect } from 'chai';
import { clientResponseHeaders, isReservedHeader, upstreamRequestHeaders } from '../../src/proxy/hop-by-hop';
import { PROXY_PATHS, proxyVia, startUpstream, type TestProxy, type TestUpstream } from './proxy-harness';
import { send } from './http-client';

describe('hop-by-hop headers', () => {
  it('drops hop-by-hop, Connection-listed, identity and removed request headers', () => {
    const out = upstreamRequestHeaders(
      {
        connection: 'keep-alive, X-Trace-Hop',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic x',
        'x-trace-hop': '1',
        'x-user-id': 'admin',
        'x-principal-subject': 'admin',
        'x-original-url': '/admin',
        'x-forwarded-for': '6.6.6.6',
        cookie: 'a=1',
        accept: 'application/json',
        'content-length': '3',
      },
      { forwardAuthorization: false, remove: ['Cookie'] },
    );
    expect(out).to.deep.equal({ accept: 'application/json', 'content-length': '3' });
  });

  it('drops hop-by-hop, Connection-listed and internal response headers', () => {
    const out = clientResponseHeaders({
      Connection: 'close, X-Upstream-Hop',
      'x-upstream-hop': 'a',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      server: 'nginx/1.25',
      'x-powered-by': 'Express',
      'x-internal-shard': '7',
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(out).to.deep.equal({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('reserves the headers the proxy owns', () => {
    for (const name of ['Connection', 'Host', 'X-Forwarded-For', 'Forwarded', 'X-Principal-Subject', 'Authorization', 'Content-Length', 'Proxy-Foo']) {
      expect(isReservedHeader(name), name).to.equal(true);
    }
    expect(isReservedHeader('x-api-version')).to.equal(false);
  });
});

for (const via of PROXY_PATHS) describe(`hop-by-hop headers through the proxy ${via.label}`, () => {
  const startProxy = proxyVia(via);
  let upstream: TestUpstream;
  let proxy: TestProxy;

  before(async () => {
    upstream = await startUpstream((_req, res) => {
      res.setHeader('Connection', 'keep-alive, X-Upstream-Hop');
      res.setHeader('X-Upstream-Hop', 'secret');
      res.setHeader('Keep-Alive', 'timeout=99');
      res.setHeader('Proxy-Authenticate', 'Basic');
      res.setHeader('Server', 'order-service');
      res.setHeader('X-Kept', 'yes');
      res.end('ok');
    });
    proxy = await startProxy(
      `routes:\n  - { id: thing, method: GET, path: /thing, upstream: "\${U}/thing", headers: { add: { x-api-version: '2' }, remove: [x-debug] }, policy: { auth: none } }\n`,
      { U: upstream.url },
    );
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('strips them in both directions, including names listed in Connection', async () => {
    const answer = await send(proxy.url, '/thing', {
      headers: {
        Connection: 'keep-alive, X-Client-Hop',
        'X-Client-Hop': 'x',
        'Keep-Alive': 'timeout=1',
        TE: 'trailers',
        Upgrade: 'websocket',
        'Proxy-Authorization': 'Basic y',
        'X-Debug': '1',
      },
    });
    expect(answer.status).to.equal(200);
    const seen = upstream.seen[0]?.headers ?? {};
    for (const name of ['x-client-hop', 'te', 'upgrade', 'proxy-authorization', 'x-debug']) expect(seen[name], name).to.equal(undefined);
    // The upstream connection is the pool's own keep-alive, not the client's.
    expect(seen.connection ?? 'keep-alive').to.equal('keep-alive');
    expect(seen['keep-alive']).to.equal(undefined);
    expect(seen['x-api-version']).to.equal('2');
    for (const name of ['x-upstream-hop', 'proxy-authenticate', 'server']) expect(answer.headers[name], name).to.equal(undefined);
    // Node's server adds its own Keep-Alive for the client connection; the upstream's never passes.
    expect(answer.headers['keep-alive'] ?? '').to.not.contain('99');
    expect(answer.headers['x-kept']).to.equal('yes');
  });
});
