/**
 * Hostile input at volume against a real web-bff process whose upstreams are counting mocks: thousands of distinct
 * bad tokens, malformed JSON, bodies past the route limit, oversized and too many headers, invalid UTF-8 and control
 * characters in paths, and slow-header (slowloris) connections, all at once. Every answer must be the right 4xx
 * problem+json, no upstream may see a single request, memory must stay bounded and the process up.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import jwt from 'jsonwebtoken';
import { startMockUpstream, type MockUpstream } from '@portico/testing';
import { startFleet, type Fleet } from '../support/fleet';
import { countBy, localSigner, probe } from '../support/fault-kit';
import { runLoad, type Sample } from '../support/load';
import { memoryOf, openFds } from '../support/proc-stats';
import { rawRequest, type RawAnswer } from '../support/raw-http';

const UPSTREAMS = ['CONSUMER', 'RESTAURANT', 'ORDER', 'KITCHEN', 'DELIVERY', 'ACCOUNTING'];
const SLOWLORIS = 100;
const RSS_BOUND_MIB = 64;

// The outcome of one answer: `<status> <problem type>`, e.g. `401 invalid-token`.
function outcome(status: number | undefined, contentType: unknown, body: string | undefined): string {
  if (status === undefined) return 'no answer';
  if (!String(contentType).startsWith('application/problem+json')) return `${status} not problem+json`;
  try {
    return `${status} ${(JSON.parse(body ?? '') as { type: string }).type.replace('urn:portico:problem:', '')}`;
  } catch {
    return `${status} unparsable problem`;
  }
}
const ofSample = (s: Sample) => outcome(s.status, s.headers?.['content-type'], s.body);
const ofRaw = (a: RawAnswer) => outcome(a.status, a.headers['content-type'], a.body);

// Runs `count` raw requests, `concurrency` at a time.
async function rawMany(
  port: number,
  count: number,
  concurrency: number,
  make: (i: number) => Array<string | Buffer | { waitMs: number }>,
  limitMs = 5000,
): Promise<RawAnswer[]> {
  const out: RawAnswer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) out.push(await rawRequest(port, make(next++), limitMs));
    }),
  );
  return out;
}

describe('hostile input at volume (web-bff, upstreams are counting mocks)', function () {
  this.timeout(90_000);
  let fleet: Fleet;
  let mocks: MockUpstream[];
  // Where the kitchen and delivery gRPC channels point: listeners that hang up, so no gRPC call could ever succeed.
  let grpcListeners: Server[];
  let grpcConnections = 0;
  let sign: (aud: string, sub: string) => string;

  before(async function () {
    this.timeout(60_000);
    sign = await localSigner();
    mocks = await Promise.all(UPSTREAMS.map(() => startMockUpstream()));
    for (const m of mocks) m.on('*', '/*', { json: {} });
    grpcListeners = await Promise.all(
      ['KITCHEN', 'DELIVERY'].map(
        () =>
          new Promise<Server>((resolve) => {
            const server = createServer((s) => (grpcConnections++, s.destroy()));
            server.listen(0, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    const env: Record<string, string> = {};
    UPSTREAMS.forEach((name, i) => (env[`${name}_SERVICE_URL`] = mocks[i]!.url));
    env.KITCHEN_GRPC_ADDRESS = `127.0.0.1:${(grpcListeners[0]!.address() as { port: number }).port}`;
    env.DELIVERY_GRPC_ADDRESS = `127.0.0.1:${(grpcListeners[1]!.address() as { port: number }).port}`;
    fleet = await startFleet({ services: ['web-bff'], perService: { 'web-bff': env } });
  });
  after(async () => {
    await fleet?.stopAll();
    await Promise.all((mocks ?? []).map((m) => m.stop()));
    for (const s of grpcListeners ?? []) s.close();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fleet) console.error(fleet.dump());
  });

  it(`answers every hostile request with the right 4xx problem+json, forwards none, keeps RSS within +${RSS_BOUND_MIB} MiB and stays up; ${SLOWLORIS} slow-header connections get 408 within 12 s`, async () => {
    const web = fleet.url('web-bff');
    const port = fleet.port('web-bff');
    const pid = fleet.pid('web-bff')!;
    const good = (sub: string) => `Bearer ${sign('web', sub)}`;
    const local = await import('../../../scripts/local-dev.mjs');
    await probe(`${web}/readyz`);
    const rssBefore = memoryOf(pid).rssMiB;
    const fdsBefore = openFds(pid);
    let rssMax = rssBefore;
    const watch = setInterval(() => (rssMax = Math.max(rssMax, memoryOf(pid).rssMiB)), 100);

    // Five kinds of bad token, each one distinct.
    const badToken = (i: number): string => {
      const claims = { sub: `hostile-${i}`, scope: 'orders:read' };
      const base = { issuer: local.LOCAL_JWT_ISSUER, audience: 'web' };
      switch (i % 6) {
        case 0:
          return jwt.sign(claims, `wrong-secret-${i}-0123456789abcdef0123456789`, { ...base, algorithm: 'HS256', expiresIn: 600 });
        case 1:
          return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: base.issuer, aud: 'web', exp: 9_999_999_999 })).toString('base64url')}.`;
        case 2:
          return jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 }, local.LOCAL_JWT_SECRET, { ...base, algorithm: 'HS256' });
        case 3:
          return jwt.sign(claims, local.LOCAL_JWT_SECRET, { issuer: base.issuer, audience: 'mobile', algorithm: 'HS256', expiresIn: 600 });
        case 4:
          return `${Buffer.from(`garbage-${i}`).toString('base64url')}.x.y`;
        default:
          return `eyJ${'A'.repeat(9000)}${i}`; // past the 8 KB token limit
      }
    };
    const started = Date.now();
    const slowloris = rawMany(
      port,
      SLOWLORIS,
      SLOWLORIS,
      () => ['GET /restaurants/r-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n', ...Array.from({ length: 20 }, (_, k) => [{ waitMs: 1000 }, `X-Slow-${k}: 1\r\n`]).flat()],
      15_000,
    );
    const keepAll = () => true;
    const [tokens, malformed, anonymous, tooLarge] = await Promise.all([
      runLoad({
        origin: web,
        connections: 12,
        durationMs: 30_000,
        maxRequests: 3000,
        keepBody: keepAll,
        next: (i) => ({ path: '/restaurants/r-1', headers: { authorization: `Bearer ${badToken(i)}` } }),
      }),
      runLoad({
        origin: web,
        connections: 4,
        durationMs: 30_000,
        maxRequests: 500,
        keepBody: keepAll,
        next: (i) => ({
          method: 'POST',
          path: '/orders',
          headers: { authorization: good(`malformed-${i}`), 'content-type': 'application/json' },
          body: ['{"restaurantId": ', '{"a":1}}', '[1,2', '{"x":"\\u12"}', 'nul'][i % 5],
        }),
      }),
      runLoad({
        origin: web,
        connections: 2,
        durationMs: 30_000,
        maxRequests: 200,
        keepBody: keepAll,
        next: () => ({ method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: '{"restaurantId": ' }),
      }),
      runLoad({
        origin: web,
        connections: 4,
        durationMs: 30_000,
        maxRequests: 200,
        keepBody: keepAll,
        next: (i) => ({
          method: 'POST',
          path: '/orders',
          headers: { authorization: good(`large-${i}`), 'content-type': 'application/json' },
          body: `{"restaurantId":"${'x'.repeat(200 * 1024)}"}`,
        }),
      }),
    ]);
    const auth = `Authorization: ${good('raw')}\r\n`;
    const line = (target: string | Buffer) => [
      Buffer.concat([
        Buffer.from('GET '),
        Buffer.isBuffer(target) ? target : Buffer.from(target),
        Buffer.from(` HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`),
      ]),
    ];
    const badPaths: Array<string | Buffer> = [
      '/restaurants/%FF%FE',
      '/restaurants/%C3%28',
      '/restaurants/%00',
      '/restaurants/a%2Fb',
      '/restaurants/a%5Cb',
      '/restaurants/%01x',
      '/restaurants/%7F',
      Buffer.from('/restaurants/\x01x', 'latin1'),
      Buffer.from([0x2f, 0x72, 0xff, 0xfe]),
      '/restaurants/a\\b',
    ];
    const [paths, bigHeaders, manyHeaders] = await Promise.all([
      rawMany(port, badPaths.length * 30, 8, (i) => line(badPaths[i % badPaths.length]!)),
      rawMany(port, 200, 8, () => [`GET /restaurants/r-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}X-Big: ${'b'.repeat(20 * 1024)}\r\nConnection: close\r\n\r\n`]),
      rawMany(port, 100, 8, () => [
        `GET /restaurants/r-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}${Array.from({ length: 120 }, (_, k) => `X-H${k}: 1\r\n`).join('')}Connection: close\r\n\r\n`,
      ]),
    ]);
    const slow = await slowloris;
    clearInterval(watch);
    const alive = await probe(`${web}/livez`);
    const rssAfter = memoryOf(pid).rssMiB;
    const fdsAfter = openFds(pid);
    const forwarded = mocks.reduce((n, m) => n + m.count(), 0);
    // HTTP pools connect only to send a request; gRPC channels dial (and redial) on their own, so they are not counted.
    const upstreamConnections = mocks.reduce((n, m) => n + m.connections, 0);

    const results = {
      'bad tokens': countBy(tokens, ofSample),
      'malformed JSON': countBy(malformed, ofSample),
      'malformed JSON, no token': countBy(anonymous, ofSample),
      'body past 64 KiB': countBy(tooLarge, ofSample),
      'bad paths': countBy(paths, ofRaw),
      'header block 20 KiB': countBy(bigHeaders, ofRaw),
      '120 headers': countBy(manyHeaders, ofRaw),
      slowloris: countBy(slow, (a) => `${ofRaw(a)}${a.timedOut ? ' (still open)' : ''}`),
    };
    const slowest = Math.max(...slow.map((a) => a.closedAfterMs));
    const report = `${JSON.stringify(results)}; slowloris closed after ≤ ${slowest} ms; forwarded ${forwarded}, upstream connections ${upstreamConnections} (gRPC channels dialled ${grpcConnections} times on their own); RSS ${rssBefore} → max ${rssMax} → ${rssAfter} MiB; fds ${fdsBefore} → ${fdsAfter}; /livez ${alive.status ?? alive.error} after ${Date.now() - started} ms`;
    console.log(`      hostile input: ${report}`);

    expect(results['bad tokens'], report).to.deep.equal({ '401 invalid-token': 3000 });
    expect(
      tokens.every((s) => /^Bearer /.test(String(s.headers?.['www-authenticate']))),
      report,
    ).to.equal(true);
    expect(results['malformed JSON'], report).to.deep.equal({ '400 malformed-json': 500 });
    expect(results['malformed JSON, no token'], report).to.deep.equal({ '401 unauthenticated': 200 });
    expect(results['body past 64 KiB'], report).to.deep.equal({ '413 payload-too-large': 200 });
    expect(results['bad paths'], report).to.deep.equal({ '400 invalid-path': badPaths.length * 30 });
    expect(results['header block 20 KiB'], report).to.deep.equal({ '431 headers-too-large': 200 });
    expect(results['120 headers'], report).to.deep.equal({ '431 headers-too-large': 100 });
    expect(results.slowloris, report).to.deep.equal({ '408 request-timeout': SLOWLORIS });
    expect(slowest, report).to.be.at.most(12_000);
    expect(forwarded, report).to.equal(0);
    expect(upstreamConnections, report).to.equal(0);
    expect(rssMax - rssBefore, report).to.be.at.most(RSS_BOUND_MIB);
    expect(fdsAfter - fdsBefore, report).to.be.at.most(10);
    expect(alive.status, report).to.equal(200);
    expect(fleet.pid('web-bff'), report).to.equal(pid);

    // The mocks are wired: one well-formed request does reach the restaurant mock.
    const ok = await probe(`${web}/restaurants/r-1`, { headers: { authorization: good('control') } });
    expect(ok.status).to.equal(200);
    expect(mocks[1]!.count('GET', '/restaurants/r-1')).to.equal(1);
  });
});
