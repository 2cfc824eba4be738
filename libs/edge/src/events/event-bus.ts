/**
 * Event bus for live updates: Redis pub/sub across processes, or in-process without Redis.
 * Delivery is at-most-once, as pub/sub is; resuming after a missed event is the subscriber's business (event ids).
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { EdgeLogger } from '../state';

/** A published event: a JSON object with an id, a type and a time. */
export interface BusEvent {
  id: string;
  type: string;
  at: string;
  [field: string]: unknown;
}

/** Publishes and subscribes to events by channel name. */
export interface EventBus {
  /** Publishes to every subscriber of the channel (in every process, for Redis). */
  publish(channel: string, event: BusEvent): Promise<void>;
  /** Calls `handler` for each event on the channel until the returned function is called. */
  subscribe(channel: string, handler: (event: BusEvent) => void): Promise<() => Promise<void>>;
  /** Closes connections; further publishes fail. */
  close(): Promise<void>;
}

/** In-process bus: what a single process uses when no REDIS_URL is set. */
export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, event: BusEvent): Promise<void> {
    this.emitter.emit(channel, event);
  }

  async subscribe(channel: string, handler: (event: BusEvent) => void): Promise<() => Promise<void>> {
    this.emitter.on(channel, handler);
    return async () => {
      this.emitter.off(channel, handler);
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/**
 * Redis pub/sub bus: one publishing connection (shared with other commands) and one subscriber connection made
 * with `duplicate()`, subscribed once per channel however many local handlers there are.
 */
export class RedisEventBus implements EventBus {
  private readonly subscriber: Redis;
  private readonly local = new MemoryEventBus();
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly publisher: Redis,
    private readonly deps: { logger: EdgeLogger; prefix: string },
  ) {
    // A subscriber connection may queue commands while reconnecting: resubscription after a Redis restart needs it.
    this.subscriber = publisher.duplicate({ enableOfflineQueue: true, lazyConnect: false });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      const name = channel.slice(this.deps.prefix.length);
      try {
        void this.local.publish(name, JSON.parse(message) as BusEvent);
      } catch {
        this.deps.logger.warn({ channel: name }, 'dropped an event that is not JSON');
      }
    });
  }

  async publish(channel: string, event: BusEvent): Promise<void> {
    await this.publisher.publish(this.deps.prefix + channel, JSON.stringify(event));
  }

  async subscribe(channel: string, handler: (event: BusEvent) => void): Promise<() => Promise<void>> {
    const count = this.counts.get(channel) ?? 0;
    this.counts.set(channel, count + 1);
    if (count === 0) await this.subscriber.subscribe(this.deps.prefix + channel);
    const off = await this.local.subscribe(channel, handler);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      await off();
      const left = (this.counts.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(channel, left);
        return;
      }
      this.counts.delete(channel);
      await this.subscriber.unsubscribe(this.deps.prefix + channel).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.local.close();
    this.subscriber.disconnect();
  }
}
