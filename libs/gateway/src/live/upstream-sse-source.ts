/**
 * Follows orders through the backends' SSE event endpoints (`GET /orders/:orderId/events` on the order service,
 * `GET /deliveries/:orderId/events` on the delivery service) over the gateway's undici upstreams: one stream per
 * backend per order, reconnected with `Last-Event-ID` so a dropped connection loses nothing the backend still keeps.
 */
import type { BusEvent, EdgeLogger } from '@portico/edge';
import type { Upstreams } from '../clients/upstreams';
import { encodeSegment } from '../routing-map/normalise-path';
import type { OrderEventHandlers, OrderEventSource } from './order-event-source';
import { SseParser } from './sse-parser';

/** One backend event endpoint: the upstream name and the path for an order. */
export interface EventEndpoint {
  upstream: string;
  path(orderId: string): string;
}

/** The order and delivery services' endpoints, under the upstream names BFFs give them. */
export const ORDER_EVENT_ENDPOINTS: readonly EventEndpoint[] = Object.freeze([
  { upstream: 'order', path: (id: string) => `/orders/${encodeSegment(id)}/events` },
  { upstream: 'delivery', path: (id: string) => `/deliveries/${encodeSegment(id)}/events` },
]);

/** What UpstreamSseSource needs. */
export interface UpstreamSseSourceOptions {
  upstreams: Upstreams;
  logger: EdgeLogger;
  /** Default ORDER_EVENT_ENDPOINTS. */
  endpoints?: readonly EventEndpoint[];
  /** Wait for response headers per connection attempt, ms (default 5000). */
  connectTimeoutMs?: number;
  /** First reconnection delay, doubled per failure up to 10 s (default 500). */
  retryMs?: number;
}

const MAX_RETRY_MS = 10_000;

/** An OrderEventSource over the backends' SSE endpoints, for deployments without Redis. */
export class UpstreamSseSource implements OrderEventSource {
  readonly kind = 'upstream-sse';
  private readonly stops = new Set<() => Promise<void>>();

  constructor(private readonly options: UpstreamSseSourceOptions) {}

  async follow(orderId: string, handlers: OrderEventHandlers): Promise<() => Promise<void>> {
    const endpoints = this.options.endpoints ?? ORDER_EVENT_ENDPOINTS;
    const controller = new AbortController();
    const firstAttempts: Array<Promise<void>> = [];
    const loops = endpoints.map((endpoint) => {
      let settle!: () => void;
      firstAttempts.push(new Promise<void>((resolve) => (settle = resolve)));
      return this.run(orderId, endpoint, handlers, controller.signal, settle);
    });
    await Promise.all(firstAttempts);
    const stop = async (): Promise<void> => {
      this.stops.delete(stop);
      controller.abort();
      await Promise.all(loops);
    };
    this.stops.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    await Promise.all([...this.stops].map((stop) => stop()));
  }

  /** Reads one endpoint until stopped, reconnecting after the last id it saw. */
  private async run(orderId: string, endpoint: EventEndpoint, handlers: OrderEventHandlers, signal: AbortSignal, connected: () => void): Promise<void> {
    const upstream = this.options.upstreams.get(endpoint.upstream);
    const log = this.options.logger;
    let lastId: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const res = await upstream.dispatch({
          method: 'GET',
          path: endpoint.path(orderId),
          headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
          deadline: Date.now() + (this.options.connectTimeoutMs ?? 5000),
          signal,
          retries: 0,
          operation: 'live-events',
        });
        if (res.statusCode !== 200) {
          await res.dump().catch(() => undefined);
          throw new Error(`${endpoint.upstream} answered ${res.statusCode}`);
        }
        failures = 0;
        connected();
        const parser = new SseParser((message) => {
          if (message.event === 'gap') return handlers.gap();
          if (message.event !== 'message') return;
          const event = JSON.parse(message.data) as BusEvent;
          lastId = message.id ?? lastId;
          handlers.event(event);
        });
        res.body.setEncoding('utf8');
        for await (const chunk of res.body) parser.push(chunk as string);
      } catch (err) {
        if (signal.aborted) break;
        connected();
        log.warn({ upstream: endpoint.upstream, orderId, err: (err as Error).message }, 'live: event stream failed; reconnecting');
      }
      if (signal.aborted) break;
      await pause(Math.min(MAX_RETRY_MS, (this.options.retryMs ?? 500) * 2 ** failures++), signal);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
