import { expect } from 'chai';
import WebSocket from 'ws';
import { connect, connectAs, startLiveBff, token, until, type LiveHarness } from './live-harness';

async function refusal(p: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status?: number; body: Record<string, unknown>; headers: Record<string, string> };
    if (e.status === undefined) throw err;
    return e as { status: number; body: Record<string, unknown>; headers: Record<string, string> };
  }
  throw new Error('the upgrade was accepted');
}

describe('GET /orders/:orderId/live (WebSocket)', function () {
  this.timeout(15_000);
  let h: LiveHarness;
  before(async () => (h = await startLiveBff({ limits: { perPrincipal: 3 } })));
  after(async () => h.close());

  describe('refusals before the upgrade completes', () => {
    it('answers 401 problem+json with a Bearer challenge when no credential is sent', async () => {
      const r = await refusal(connect(`${h.ws}/orders/o-1/live`));
      expect(r.status).to.equal(401);
      expect(r.headers['content-type']).to.equal('application/problem+json');
      expect(r.headers['www-authenticate']).to.match(/^Bearer realm="portico"/);
      expect(r.body).to.include({ type: 'urn:portico:problem:unauthenticated', status: 401 });
      expect(r.body.requestId).to.be.a('string');
    });

    it('answers 401 invalid_token for a token signed with another key, without leaking why in internals', async () => {
      const r = await refusal(connectAs(h, 'o-1', token('c-1', 300, 'an-attacker-secret-0123456789abcdef012345')));
      expect(r.status).to.equal(401);
      expect(r.body.type).to.equal('urn:portico:problem:invalid-token');
      expect(JSON.stringify(r.body)).not.to.match(/stack|secret/i);
    });

    it("answers 404 for someone else's order and for an order that does not exist", async () => {
      expect((await refusal(connectAs(h, 'o-9'))).status).to.equal(404);
      expect((await refusal(connectAs(h, 'o-404'))).status).to.equal(404);
    });

    it('answers 403 for an Origin outside the allow-list and accepts one on it', async () => {
      const r = await refusal(connectAs(h, 'o-1', token(), { origin: 'https://evil.example' }));
      expect(r.status).to.equal(403);
      expect(r.body.type).to.equal('urn:portico:problem:origin-not-allowed');
      const ok = await connectAs(h, 'o-1', token(), { origin: 'https://app.portico.test' });
      ok.ws.close();
      await ok.closed;
    });

    it('answers 429 past the per-principal limit and frees the slot when a socket closes', async () => {
      const open = await Promise.all([1, 2, 3].map(() => connectAs(h, 'o-1')));
      const r = await refusal(connectAs(h, 'o-1'));
      expect(r.status).to.equal(429);
      expect(r.headers['retry-after']).to.equal('5');
      open[0]!.ws.close();
      await open[0]!.closed;
      await until(() => h.live.stats().connections === 2);
      const again = await connectAs(h, 'o-1');
      for (const c of [...open.slice(1), again]) c.ws.close();
      await Promise.all([...open.slice(1), again].map((c) => c.closed));
    });
  });

  it('selects `bearer` as the subprotocol, never echoing the token', async () => {
    const c = await connectAs(h, 'o-1');
    expect(c.ws.protocol).to.equal('bearer');
    c.ws.close();
    await c.closed;
  });

  it('pushes one JSON message per published event, in order, with ordered ids', async () => {
    const c = await connectAs(h, 'o-1');
    for (let i = 1; i <= 5; i++) await h.publish('o-1', { type: i % 2 ? 'order.state-changed' : 'courier.location', n: i });
    await until(() => c.messages.length === 5);
    expect(c.messages.map((m) => m.n)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(c.messages.map((m) => m.type)).to.deep.equal(['order.state-changed', 'courier.location', 'order.state-changed', 'courier.location', 'order.state-changed']);
    const seqs = c.messages.map((m) => Number(String(m.id).split('.')[1]));
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(c.messages.every((m) => m.orderId === 'o-1')).to.equal(true);
    c.ws.close();
    await c.closed;
  });

  it('subscribes upstream once per order however many sockets watch it', async () => {
    const before = h.follows();
    const [a, b] = await Promise.all([connectAs(h, 'o-2'), connectAs(h, 'o-2')]);
    expect(h.follows() - before).to.equal(1);
    await h.publish('o-2', { type: 'order.state-changed', state: 'PREPARING' });
    await until(() => a.messages.length === 1 && b.messages.length === 1);
    expect(a.messages[0]).to.deep.equal(b.messages[0]);
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
  });

  it('resumes after the last event id: exactly the missed events, then live ones', async () => {
    const first = await connectAs(h, 'o-1');
    for (let i = 1; i <= 3; i++) await h.publish('o-1', { type: 'order.state-changed', n: i });
    await until(() => first.messages.length === 3);
    const last = String(first.messages[1]!.id);
    first.ws.close();
    await first.closed;
    await h.publish('o-1', { type: 'order.state-changed', n: 4 });
    await h.publish('o-1', { type: 'order.state-changed', n: 5 });
    const again = await connectAs(h, 'o-1', token(), { query: `lastEventId=${encodeURIComponent(last)}` });
    await until(() => again.messages.length === 3);
    expect(again.messages.map((m) => m.n)).to.deep.equal([3, 4, 5]);
    await h.publish('o-1', { type: 'order.state-changed', n: 6 });
    await until(() => again.messages.length === 4);
    expect(again.messages[3]!.n).to.equal(6);
    again.ws.close();
    await again.closed;
  });

  it('answers a resume it cannot prove gap-free with a resync message first', async () => {
    const c = await connectAs(h, 'o-1', token(), { query: 'lastEventId=someotherepoch.7' });
    await until(() => c.messages.length === 1);
    expect(c.messages[0]!.type).to.equal('resync');
    c.ws.close();
    await c.closed;
  });

  it('opens with a single-use ticket from POST /orders/:orderId/live-ticket', async () => {
    const res = await fetch(`${h.http}/orders/o-1/live-ticket`, { method: 'POST', headers: { authorization: `Bearer ${token()}` } });
    expect(res.status).to.equal(201);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const { ticket, expiresInSeconds } = (await res.json()) as { ticket: string; expiresInSeconds: number };
    expect(expiresInSeconds).to.equal(30);
    const c = await connect(`${h.ws}/orders/o-1/live?ticket=${ticket}`);
    await h.publish('o-1', { type: 'order.state-changed', n: 1 });
    await until(() => c.messages.length === 1);
    c.ws.close();
    await c.closed;
    expect((await refusal(connect(`${h.ws}/orders/o-1/live?ticket=${ticket}`))).status).to.equal(401);
    const other = await fetch(`${h.http}/orders/o-9/live-ticket`, { method: 'POST', headers: { authorization: `Bearer ${token()}` } });
    expect(other.status).to.equal(404);
  });

  it('leaves other upgrade paths alone (404) and counts rejections', async () => {
    const r = await refusal(connect(`${h.ws}/orders/o-1/elsewhere`));
    expect(r.status).to.equal(404);
    const metrics = await (await fetch(`${h.http}/metrics`)).text();
    expect(metrics).to.match(/live_rejections_total\{status="401"[^}]*\} [1-9]/);
  });
});

describe('live WebSocket connection management', function () {
  this.timeout(20_000);
  let h: LiveHarness;
  afterEach(async () => h.close());

  it('terminates a peer that stops answering pings, and keeps one that answers', async () => {
    h = await startLiveBff({ limits: { pingIntervalMs: 100 } });
    const deaf = await connectAs(h, 'o-1', token(), { autoPong: false });
    const healthy = await connectAs(h, 'o-1');
    const started = Date.now();
    const { code } = await deaf.closed;
    expect(code).to.equal(1006);
    expect(Date.now() - started).to.be.below(1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(healthy.ws.readyState).to.equal(WebSocket.OPEN);
    healthy.ws.close();
    await healthy.closed;
  });

  it('closes a slow consumer with 1013 and stops buffering for it', async () => {
    h = await startLiveBff({ limits: { sendBufferBytes: 256 * 1024, replayEvents: 4 } });
    const slow = await connectAs(h, 'o-1');
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 400; i++) await h.publish('o-1', { type: 'courier.location', n: i, big });
    const metrics = await (await fetch(`${h.http}/metrics`)).text();
    const sent = Number(/live_messages_sent_total\{transport="ws"[^}]*\} (\d+)/.exec(metrics)?.[1]);
    // 400 × 64 KiB = 25 MiB published; the server stopped writing once the socket buffers and its 256 KiB filled, so
    // what it ever held for this client is bounded by those, not by what was published.
    expect(sent).to.be.above(0);
    expect(sent * 64 * 1024).to.be.below(12 * 1024 * 1024);
    socket.resume();
    const { code } = await slow.closed;
    expect(code).to.equal(1013);
    expect(slow.messages.length).to.equal(sent);
    let closes = '';
    const end = Date.now() + 3000;
    while (!/live_closes_total\{transport="ws",code="1013"[^}]*\} 1/.test(closes) && Date.now() < end) {
      closes = await (await fetch(`${h.http}/metrics`)).text();
    }
    expect(closes).to.match(/live_closes_total\{transport="ws",code="1013"[^}]*\} 1/);
  });

  it('closes with 1008 when the token expires', async () => {
    h = await startLiveBff();
    const c = await connectAs(h, 'o-1', token('c-1', 2));
    const { code, reason } = await c.closed;
    expect(code).to.equal(1008);
    expect(reason).to.equal('token expired');
  });

  it('closes every socket with 1001 on shutdown and refuses new ones while draining', async () => {
    h = await startLiveBff({ env: { DRAIN_DELAY: '300ms' } });
    const a = await connectAs(h, 'o-1');
    const b = await connectAs(h, 'o-2');
    const closing = h.bff.close();
    await new Promise((r) => setTimeout(r, 50));
    const refused = await connectAs(h, 'o-1').then(
      () => undefined,
      (err: { status?: number }) => err.status,
    );
    expect(refused).to.equal(503);
    expect(a.ws.readyState).to.equal(WebSocket.OPEN);
    const [ca, cb] = await Promise.all([a.closed, b.closed]);
    expect([ca.code, cb.code]).to.deep.equal([1001, 1001]);
    await closing;
  });
});
