import { expect } from 'chai';
import { request } from 'undici';
import { SseParser, type ParsedSse } from '../../src/live/sse-parser';
import { startLiveBff, token, until, type LiveHarness } from './live-harness';

interface SseClient {
  status: number;
  headers: Record<string, unknown>;
  messages: ParsedSse[];
  ended: Promise<void>;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string>): Promise<SseClient> {
  const controller = new AbortController();
  const res = await request(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const messages: ParsedSse[] = [];
  const parser = new SseParser((m) => messages.push(m));
  res.body.setEncoding('utf8');
  const ended = (async () => {
    try {
      for await (const chunk of res.body) parser.push(chunk as string);
    } catch {
      // aborted by close()
    }
  })();
  return { status: res.statusCode, headers: res.headers, messages, ended, close: () => controller.abort() };
}

describe('GET /orders/:orderId/live (Server-Sent Events)', function () {
  this.timeout(15_000);
  let h: LiveHarness;
  before(async () => (h = await startLiveBff()));
  after(async () => h.close());

  it('answers 401 problem+json through the edge auth chain without a token', async () => {
    const res = await request(`${h.http}/orders/o-1/live`, { headers: { accept: 'text/event-stream' } });
    expect(res.statusCode).to.equal(401);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(((await res.body.json()) as { type: string }).type).to.equal('urn:portico:problem:unauthenticated');
  });

  it("answers 404 for someone else's order and 406 to a plain GET", async () => {
    const other = await request(`${h.http}/orders/o-9/live`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token()}` } });
    expect(other.statusCode).to.equal(404);
    await other.body.dump();
    const plain = await request(`${h.http}/orders/o-1/live`, { headers: { authorization: `Bearer ${token()}` } });
    expect(plain.statusCode).to.equal(406);
    await plain.body.dump();
  });

  it('streams each event with an id line, and resumes after Last-Event-ID with exactly the missed ones', async () => {
    const first = await openStream(`${h.http}/orders/o-1/live`, { authorization: `Bearer ${token()}` });
    expect(first.status).to.equal(200);
    expect(first.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
    expect(first.headers['cache-control']).to.equal('no-cache, no-transform');
    for (let i = 1; i <= 3; i++) await h.publish('o-1', { type: 'order.state-changed', n: i });
    await until(() => first.messages.length === 3);
    expect(first.messages.map((m) => JSON.parse(m.data).n)).to.deep.equal([1, 2, 3]);
    expect(first.messages.every((m) => m.id === JSON.parse(m.data).id)).to.equal(true);
    const lastSeen = first.messages[0]!.id as string;
    first.close();
    await first.ended;
    await h.publish('o-1', { type: 'courier.location', n: 4 });
    const again = await openStream(`${h.http}/orders/o-1/live`, { authorization: `Bearer ${token()}`, 'last-event-id': lastSeen });
    await until(() => again.messages.length === 3);
    expect(again.messages.map((m) => JSON.parse(m.data).n)).to.deep.equal([2, 3, 4]);
    again.close();
    await again.ended;
  });

  it('ends open streams when the BFF shuts down', async () => {
    const own = await startLiveBff();
    const stream = await openStream(`${own.http}/orders/o-1/live`, { authorization: `Bearer ${token()}` });
    await own.publish('o-1', { type: 'order.state-changed', n: 1 });
    await until(() => stream.messages.length === 1);
    const started = Date.now();
    await own.close();
    await stream.ended;
    // The lifecycle did not wait out its 20 s in-flight deadline: the stream ended at the drain window.
    expect(Date.now() - started).to.be.below(5000);
  });
});
