import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { ConfigError } from '@portico/edge';
import { requireRedis, testRedisUrl, uniquePrefix } from '../src/redis';
import { startBff } from '../src/start-bff';

describe('startBff', () => {
  let upstream: Server;
  let upstreamUrl: string;

  before(async () => {
    upstream = createServer((req, res) => res.end(JSON.stringify({ url: req.url })));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

  it('serves a routing map given as YAML on 127.0.0.1 and a free port, and closes', async () => {
    const started = await startBff({
      routes: 'routes:\n  - { id: get-thing, method: GET, path: /things/:id, upstream: "${THING_SERVICE_URL}/things/:id", policy: { auth: none } }\n',
      env: { THING_SERVICE_URL: upstreamUrl },
    });
    try {
      expect(started.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(`${started.url}/things/7`);
      expect(res.statusCode).to.equal(200);
      expect(await res.body.json()).to.deep.equal({ url: '/things/7' });
    } finally {
      await started.close();
    }
    await request(`${started.url}/things/7`).then(
      () => expect.fail('the BFF still answers after close()'),
      // A pooled socket from before close() is reset; a new one is refused.
      (err: { code?: string }) => expect(err.code).to.be.oneOf(['ECONNREFUSED', 'UND_ERR_SOCKET']),
    );
  });

  it('accepts the routing map as an object and runs code handlers', async () => {
    const started = await startBff({
      routes: { routes: [{ id: 'hello', method: 'GET', path: '/hello', handler: 'hello', policy: { auth: 'none' } }] },
      handlers: {
        hello: async function hello(ctx) {
          ctx.body = { hello: ctx.state.route?.id };
        },
      },
    });
    try {
      const res = await request(`${started.url}/hello`);
      expect(await res.body.json()).to.deep.equal({ hello: 'hello' });
    } finally {
      await started.close();
    }
  });

  it('rejects an invalid routing map with ConfigError', async () => {
    const failure = await startBff({ routes: 'routes:\n  - { id: x, method: GET, path: /x, upstream: "http://literal:80/x" }\n' }).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(ConfigError);
  });

  it('adds Redis to readiness when REDIS_URL is set', async () => {
    const url = testRedisUrl();
    await requireRedis(url);
    const started = await startBff({
      routes: 'routes:\n  - { id: hello, method: GET, path: /hello, handler: hello, policy: { auth: none } }\n',
      env: { REDIS_URL: url, REDIS_KEY_PREFIX: uniquePrefix('start-bff') },
      handlers: { hello: async () => undefined },
    });
    try {
      let body: { checks?: Record<string, boolean> } = {};
      for (let i = 0; i < 50 && body.checks?.redis !== true; i++) {
        body = (await (await request(`${started.url}/readyz`)).body.json()) as typeof body;
        if (body.checks?.redis !== true) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(body.checks).to.include({ redis: true, config: true });
    } finally {
      await started.close();
    }
  });
});
