/**
 * A backend's event endpoint (`GET /orders/:orderId/events`): the events this process publishes on one channel as
 * Server-Sent Events, replaying what a reconnecting reader missed (`Last-Event-ID`) from the EventLog's history.
 * Authentication is the deployment's: these endpoints sit on the internal network, like the rest of the backend API.
 */
import type { Middleware } from 'koa';
import type { EdgeContext, EdgeState } from '../state';
import type { BusEvent } from './event-bus';
import { sequenceOf, type EventLog } from './event-log';
import { lastEventIdOf, openSse, type SseOptions } from './sse';

/** What eventStream needs. */
export interface EventStreamOptions extends SseOptions {
  log: EventLog;
  /** The channel a request reads (`orders.<orderId>`). */
  channel(ctx: EdgeContext): string;
}

/** Event name sent when the history no longer reaches back to the reader's `Last-Event-ID`: it has missed events. */
export const GAP_EVENT = 'gap';

/** Koa terminal middleware serving one channel as SSE: replay after `Last-Event-ID`, then live events, until either side closes. */
export function eventStream(options: EventStreamOptions): Middleware<EdgeState> {
  return async function eventStream(ctx) {
    const channel = options.channel(ctx);
    const lastEventId = lastEventIdOf(ctx);
    const stream = openSse(ctx, options);
    let lastSent = sequenceOf(lastEventId) ?? -1;
    const write = (event: BusEvent) => {
      const seq = sequenceOf(event.id) ?? -1;
      if (seq <= lastSent) return;
      lastSent = seq;
      stream.send({ id: event.id, data: JSON.stringify(event) });
    };
    const replay = options.log.since(channel, lastEventId);
    if (!replay.complete) stream.send({ event: GAP_EVENT, data: JSON.stringify({ after: lastEventId ?? null }) });
    for (const event of replay.events) write(event);
    // Publishing is synchronous up to follow(), so nothing falls between the replay and following.
    const unfollow = options.log.follow(channel, write);
    const detach = options.log.attachReader(() => stream.close());
    stream.onClose(() => {
      unfollow();
      detach();
    });
  };
}
