/**
 * One feed per watched order: a single upstream subscription fanned out to every local socket and stream, a per-order
 * sequence of message ids, and a bounded replay buffer for clients that resume after the last id they saw.
 *
 * Ids are `<epoch>.<seq>`: the epoch names this feed's lifetime in this process, seq counts its messages. A resume
 * with an id of the current epoch still inside the buffer replays exactly the missed messages. Anything else (another
 * replica, a restarted process, a feed that lingered out, a buffer that moved on) cannot be proven gap-free, so the
 * client first receives `{ type: 'resync' }` and must re-read the order. Nothing is ever silently skipped.
 */
import { randomBytes } from 'node:crypto';
import type { BusEvent, EdgeLogger } from '@portico/edge';
import type { OrderEventSource } from './order-event-source';

/** One message as sent to clients: serialised once, shared by every socket of the order. */
export interface LiveMessage {
  readonly id: string;
  readonly seq: number;
  /** The JSON text (SSE data). */
  readonly text: string;
  /** The same as UTF-8, sent as a WebSocket text frame without re-encoding per socket. */
  readonly payload: Buffer;
}

/** A socket or stream of one order. */
export interface FeedSubscriber {
  deliver(message: LiveMessage): void;
}

/** Feed settings. */
export interface OrderFeedsOptions {
  source: OrderEventSource;
  logger: EdgeLogger;
  /** Messages kept per order for resuming (default 256). */
  replayEvents?: number;
  /** How long a feed without subscribers stays subscribed, so a quick reconnect resumes exactly (default 30 s). */
  lingerMs?: number;
  /** Told whenever the count of upstream subscriptions changes (metrics). */
  onFeedsChanged?: (count: number) => void;
}

/** What join() returns: messages to send first, and how to leave. */
export interface Joined {
  replay: LiveMessage[];
  leave(): void;
}

interface Feed {
  orderId: string;
  epoch: string;
  seq: number;
  buffer: LiveMessage[];
  subscribers: Set<FeedSubscriber>;
  ready: Promise<void>;
  stop?: () => Promise<void>;
  linger?: NodeJS.Timeout;
}

/** The feeds of one process, keyed by order id. */
export class OrderFeeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly replayEvents: number;
  private readonly lingerMs: number;

  constructor(private readonly options: OrderFeedsOptions) {
    this.replayEvents = options.replayEvents ?? 256;
    this.lingerMs = options.lingerMs ?? 30_000;
  }

  /** Orders with an upstream subscription now. */
  get size(): number {
    return this.feeds.size;
  }

  /**
   * Adds a subscriber to the order's feed (subscribing upstream once per order) and returns what it missed after
   * `lastEventId`. Messages published from now on reach `subscriber.deliver` after the replay. Rejects when the
   * upstream subscription cannot be made.
   */
  async join(orderId: string, subscriber: FeedSubscriber, lastEventId?: string): Promise<Joined> {
    const feed = this.feeds.get(orderId) ?? this.open(orderId);
    clearTimeout(feed.linger);
    feed.linger = undefined;
    const replay = this.replay(feed, lastEventId);
    feed.subscribers.add(subscriber);
    const leave = (): void => {
      if (!feed.subscribers.delete(subscriber) || feed.subscribers.size > 0) return;
      feed.linger = setTimeout(() => void this.end(feed), this.lingerMs);
      feed.linger.unref();
    };
    try {
      await feed.ready;
    } catch (err) {
      leave();
      throw err;
    }
    return { replay, leave };
  }

  /** Ends every feed and its upstream subscription. */
  async close(): Promise<void> {
    await Promise.all([...this.feeds.values()].map((feed) => this.end(feed)));
  }

  private open(orderId: string): Feed {
    const feed: Feed = { orderId, epoch: randomBytes(6).toString('base64url'), seq: 0, buffer: [], subscribers: new Set(), ready: Promise.resolve() };
    this.feeds.set(orderId, feed);
    this.options.onFeedsChanged?.(this.feeds.size);
    feed.ready = this.options.source
      .follow(orderId, { event: (event) => this.publish(feed, event), gap: () => this.publish(feed, { type: 'resync', reason: 'events were lost upstream' }) })
      .then((stop) => {
        feed.stop = stop;
        // The feed may have been ended while the subscription was being made.
        if (this.feeds.get(orderId) !== feed) void stop();
      })
      .catch((err: unknown) => {
        this.options.logger.warn({ orderId, err: (err as Error).message }, 'live: could not follow order events');
        void this.end(feed);
        throw err;
      });
    return feed;
  }

  private async end(feed: Feed): Promise<void> {
    clearTimeout(feed.linger);
    if (this.feeds.get(feed.orderId) !== feed) return;
    this.feeds.delete(feed.orderId);
    this.options.onFeedsChanged?.(this.feeds.size);
    await feed.stop?.().catch(() => undefined);
  }

  private publish(feed: Feed, event: Partial<BusEvent> & { type: string }): void {
    const seq = ++feed.seq;
    const message = this.message(feed, seq, event);
    feed.buffer.push(message);
    if (feed.buffer.length > this.replayEvents) feed.buffer.shift();
    for (const subscriber of feed.subscribers) subscriber.deliver(message);
  }

  private message(feed: Feed, seq: number, event: Partial<BusEvent> & { type: string }): LiveMessage {
    const id = `${feed.epoch}.${seq}`;
    // The client sees our id, not the backend's: one ordered sequence across every backend that publishes for the order.
    const text = JSON.stringify({ ...event, id, orderId: feed.orderId });
    return { id, seq, text, payload: Buffer.from(text) };
  }

  private replay(feed: Feed, lastEventId: string | undefined): LiveMessage[] {
    if (lastEventId === undefined) return [];
    const dot = lastEventId.lastIndexOf('.');
    const epoch = lastEventId.slice(0, dot);
    const after = Number(lastEventId.slice(dot + 1));
    const oldest = feed.buffer[0]?.seq ?? feed.seq + 1;
    if (dot > 0 && epoch === feed.epoch && Number.isInteger(after) && after <= feed.seq && after >= oldest - 1) {
      return feed.buffer.filter((m) => m.seq > after);
    }
    // Not provably gap-free: tell the client to re-read, under an id that resumes from here next time.
    return [this.message(feed, feed.seq, { type: 'resync', reason: 'cannot resume after the given id' })];
  }
}
