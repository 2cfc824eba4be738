import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import { request } from 'undici';
import { EventLog, MemoryEventBus, eventStream, sequenceOf, type BusEvent, type EdgeState } from '../../src';

function event(n: number, channel = 'o-1'): BusEvent {
  return { id: `${channel}:${n}`, type: 'order.state-changed', at: new Date(0).toISOString(), n };
}

describe('EventLog', () => {
  it('reads the sequence number an id ends with', () => {
    expect(sequenceOf('o-1:7')).to.equal(7);
    expect(sequenceOf('o-1:courier:12')).to.equal(12);
    expect(sequenceOf('no-number-here:x')).to.equal(undefined);
  });

  it('publishes through the bus and replays exactly what came after an id', async () => {
    const bus = new MemoryEventBus();
    const seen: string[] = [];
    await bus.subscribe('orders.o-1', (e) => seen.push(e.id));
    const log = new EventLog(bus);
    for (let i = 1; i <= 5; i++) await log.publish('orders.o-1', event(i));
    expect(seen).to.deep.equal(['o-1:1', 'o-1:2', 'o-1:3', 'o-1:4', 'o-1:5']);
    expect(log.since('orders.o-1', 'o-1:3')).to.deep.equal({ events: [event(4), event(5)], complete: true });
    expect(log.since('orders.o-1', undefined)).to.deep.equal({ events: [], complete: true });
  });

  it('keeps a bounded history per channel and a bounded number of channels, and says when a replay has a gap', async () => {
    const log = new EventLog(new MemoryEventBus(), { perChannel: 3, maxChannels: 2 });
    for (let i = 1; i <= 6; i++) await log.publish('orders.o-1', event(i));
    expect(log.since('orders.o-1', 'o-1:1')).to.deep.equal({ events: [event(4), event(5), event(6)], complete: false });
    expect(log.since('orders.o-1', 'o-1:3').complete).to.equal(true);
    await log.publish('orders.o-2', event(1, 'o-2'));
    await log.publish('orders.o-3', event(1, 'o-3'));
    expect(log.since('orders.o-1', 'o-1:5').events).to.deep.equal([]);
    expect(log.since('orders.o-3', 'o-3:0').events).to.deep.equal([event(1, 'o-3')]);
  });
});

describe('eventStream (a backend SSE event endpoint)', () => {
  let server: Server;
  let base: string;
  let log: EventLog;
  let draining = false;

  before(async () => {
    log = new EventLog(new MemoryEventBus(), { perChannel: 3, draining: () => draining });
    const app = new Koa<EdgeState>();
    app.use(eventStream({ log, channel: () => 'orders.o-1', heartbeatMs: 50 }));
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await log.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function read(headers: Record<string, string>, until: (text: string) => boolean): Promise<{ text: string; end(): void }> {
    const controller = new AbortController();
    const res = await request(base, { headers, signal: controller.signal });
    expect(res.statusCode).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
    let text = '';
    res.body.setEncoding('utf8');
    const done = Date.now() + 3000;
    for await (const chunk of res.body) {
      text += chunk as string;
      if (until(text) || Date.now() > done) break;
    }
    return { text, end: () => controller.abort() };
  }

  it('replays after Last-Event-ID, then streams live events with id lines and heartbeats', async () => {
    for (let i = 1; i <= 3; i++) await log.publish('orders.o-1', event(i));
    const publishing = setTimeout(() => void log.publish('orders.o-1', event(4)), 100);
    const { text, end } = await read({ 'last-event-id': 'o-1:1' }, (t) => t.includes('id: o-1:4') && t.includes(': heartbeat'));
    clearTimeout(publishing);
    end();
    const ids = [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]);
    expect(ids).to.deep.equal(['o-1:2', 'o-1:3', 'o-1:4']);
    expect(text).to.match(/^retry: \d+$/m);
  });

  it('sends a gap event when the history no longer reaches back to Last-Event-ID', async () => {
    const { text, end } = await read({ 'last-event-id': 'o-1:0' }, (t) => t.includes('id: o-1:4'));
    end();
    expect(text).to.match(/^event: gap$/m);
  });

  it('ends open streams once the process starts draining', async () => {
    const started = Date.now();
    const pending = read({}, () => false);
    setTimeout(() => (draining = true), 50);
    const { end } = await pending;
    end();
    expect(Date.now() - started).to.be.below(2000);
  });
});
