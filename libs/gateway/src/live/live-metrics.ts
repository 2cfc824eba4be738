/** Prometheus series of the live module, on the service's registry: open sockets, messages sent, closes by code, rejections, feeds. */
import { Counter, Gauge } from 'prom-client';
import type { EdgeMetrics } from '@portico/edge';

/** `ws` or `sse`. */
export type LiveTransport = 'ws' | 'sse';

/** The live module's metrics. */
export interface LiveMetrics {
  opened(transport: LiveTransport): void;
  closed(transport: LiveTransport, code: number | string): void;
  sent(transport: LiveTransport): void;
  rejected(status: number): void;
  feeds(count: number): void;
}

/** Registers the live series on `metrics.registry` (once per registry). */
export function createLiveMetrics(metrics: EdgeMetrics): LiveMetrics {
  const registers = [metrics.registry];
  const open = new Gauge({ name: 'live_connections', help: 'Open live connections, by transport', labelNames: ['transport'], registers });
  const messages = new Counter({ name: 'live_messages_sent_total', help: 'Live messages written to clients, by transport', labelNames: ['transport'], registers });
  const closes = new Counter({ name: 'live_closes_total', help: 'Live connections closed, by transport and WebSocket close code (or sse reason)', labelNames: ['transport', 'code'], registers });
  const rejections = new Counter({ name: 'live_rejections_total', help: 'Live connections refused before opening, by HTTP status', labelNames: ['status'], registers });
  const feeds = new Gauge({ name: 'live_upstream_subscriptions', help: 'Orders with one upstream event subscription in this process', registers });
  // Bound children: the per-message path does no label lookup.
  const sentBy = { ws: messages.labels('ws'), sse: messages.labels('sse') };
  const openBy = { ws: open.labels('ws'), sse: open.labels('sse') };
  for (const transport of ['ws', 'sse'] as const) openBy[transport].set(0);
  return {
    opened: (transport) => openBy[transport].inc(),
    closed: (transport, code) => {
      openBy[transport].dec();
      closes.labels(transport, String(code)).inc();
    },
    sent: (transport) => sentBy[transport].inc(),
    rejected: (status) => rejections.labels(String(status)).inc(),
    feeds: (count) => feeds.set(count),
  };
}
