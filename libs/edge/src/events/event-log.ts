/**
 * EventLog: the events one process publishes, kept per channel in a small bounded history so a stream that
 * reconnects with `Last-Event-ID` gets exactly what it missed. Serving the history over SSE is event-stream.ts's job.
 */
import { EventEmitter } from 'node:events';
import type { BusEvent, EventBus } from './event-bus';

/** Sizes of the history; both bounds hold however many channels or events are published. */
export interface EventLogOptions {
  /** Events kept per channel (default 100). */
  perChannel?: number;
  /** Channels kept; the least recently published is forgotten first (default 10 000). */
  maxChannels?: number;
  /**
   * True once the process is shutting down (pass `readiness.isDraining`): open readers are then ended, because a
   * stream never finishes on its own and graceful shutdown waits for in-flight requests.
   */
  draining?: () => boolean;
}

/** What a replay found: the events after the given id, and whether the history still reached back that far. */
export interface Replay {
  events: BusEvent[];
  /** False when events between the given id and the oldest one kept were forgotten: the reader has a gap. */
  complete: boolean;
}

const TRAILING_SEQ = /(\d+)$/;

/**
 * The per-channel sequence number an event id ends with (`o-1:7` → 7, `o-1:courier:12` → 12); undefined when it
 * ends with none. Ids published through an EventLog must end with a number that grows by one per channel.
 */
export function sequenceOf(id: string | undefined): number | undefined {
  const match = id === undefined ? null : TRAILING_SEQ.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** An EventBus that also remembers, per channel, the last events this process published and lets readers follow them. */
export class EventLog implements EventBus {
  private readonly history = new Map<string, BusEvent[]>();
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly perChannel: number;
  private readonly maxChannels: number;
  private readonly readers = new Set<() => void>();
  private readonly watch: NodeJS.Timeout | undefined;

  constructor(
    /** Where events go for every other subscriber (Redis pub/sub or in-process). */
    readonly bus: EventBus,
    options: EventLogOptions = {},
  ) {
    this.perChannel = options.perChannel ?? 100;
    this.maxChannels = options.maxChannels ?? 10_000;
    const draining = options.draining;
    if (draining) {
      // One timer for every reader; a quarter second is short next to any shutdown window.
      this.watch = setInterval(() => {
        if (draining()) for (const end of [...this.readers]) end();
      }, 250);
      this.watch.unref();
    }
  }

  /** Registers a reader to end on shutdown; returns the function that unregisters it. */
  attachReader(end: () => void): () => void {
    this.readers.add(end);
    return () => void this.readers.delete(end);
  }

  /** Records the event, tells local followers, then publishes it on the bus. */
  async publish(channel: string, event: BusEvent): Promise<void> {
    this.record(channel, event);
    this.local.emit(channel, event);
    await this.bus.publish(channel, event);
  }

  /** Subscribes on the underlying bus (events of every publisher, not only this process). */
  subscribe(channel: string, handler: (event: BusEvent) => void): Promise<() => Promise<void>> {
    return this.bus.subscribe(channel, handler);
  }

  /** Calls `handler` for each event this process publishes on the channel, until the returned function is called. */
  follow(channel: string, handler: (event: BusEvent) => void): () => void {
    this.local.on(channel, handler);
    return () => void this.local.off(channel, handler);
  }

  /** The kept events of the channel published after `lastEventId` (all kept events when it is undefined or unknown). */
  since(channel: string, lastEventId: string | undefined): Replay {
    const kept = this.history.get(channel) ?? [];
    const after = sequenceOf(lastEventId);
    if (after === undefined) return { events: lastEventId === undefined ? [] : [...kept], complete: lastEventId === undefined };
    const events = kept.filter((e) => (sequenceOf(e.id) ?? 0) > after);
    const oldest = sequenceOf(kept[0]?.id);
    // Sequence numbers grow by one, so the oldest kept event tells whether anything after `after` was forgotten.
    const complete = oldest === undefined ? true : oldest <= after + 1;
    return { events, complete };
  }

  /** Forgets the history and local followers; the bus belongs to whoever created it. */
  async close(): Promise<void> {
    clearInterval(this.watch);
    for (const end of [...this.readers]) end();
    this.local.removeAllListeners();
    this.history.clear();
  }

  private record(channel: string, event: BusEvent): void {
    let kept = this.history.get(channel);
    if (kept) {
      this.history.delete(channel);
    } else {
      kept = [];
      if (this.history.size >= this.maxChannels) this.history.delete(this.history.keys().next().value as string);
    }
    // Re-inserted so Map order is least recently published first.
    this.history.set(channel, kept);
    kept.push(event);
    if (kept.length > this.perChannel) kept.shift();
  }
}
