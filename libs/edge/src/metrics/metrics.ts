/**
 * The service's Prometheus metrics on one prom-client registry: HTTP requests by route template, upstream calls,
 * rate-limit decisions, cache lookups, compression, routing-map version and process metrics. Recording requests is metrics-middleware's job;
 * the per-request series are labelled-metrics.ts's.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { LabelledCounter, LabelledHistogram } from './labelled-metrics';

/** What createMetrics needs. */
export interface MetricsOptions {
  /** Added as the `service` label on every series. */
  serviceName: string;
  /** Registry to register on (a fresh one by default); it must not already hold these metrics. */
  registry?: Registry;
  /** Process and Node.js metrics (RSS, CPU, event-loop lag, GC); default true. */
  defaultMetrics?: boolean;
}

/** How an upstream call ended; the label values of `upstreamCalls`. */
export type UpstreamOutcome = 'ok' | 'client_error' | 'server_error' | 'timeout' | 'unreachable' | 'bad_response' | 'error' | 'circuit_open' | 'bulkhead_full' | 'aborted';

/** Labels of one upstream call. `operation` is a route id or client operation, never a URL or path. */
export interface UpstreamLabels {
  upstream: string;
  operation: string;
  outcome: UpstreamOutcome;
}

// Seconds; from a cache hit (~1 ms) to the default route deadline (5 s) and beyond.
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metrics of one service; create once at start-up and pass through deps. */
export class EdgeMetrics {
  /** The registry /metrics serves. */
  readonly registry: Registry;
  /** Requests answered, by route template, method and status. */
  readonly httpRequests: LabelledCounter<'route' | 'method' | 'status'>;
  /** Time until the response headers and body were handed to Koa, by route template, method and status class. */
  readonly httpDuration: LabelledHistogram<'route' | 'method' | 'status_class'>;
  /** Requests being processed right now. */
  readonly inflight: Gauge;
  /** Upstream call duration (its _count is the call count), by upstream, operation and outcome. */
  readonly upstreamCalls: LabelledHistogram<'upstream' | 'operation' | 'outcome'>;
  /** Rate-limit decisions by route template and outcome (allowed, limited, store_failure). */
  readonly rateLimitDecisions: Counter<'route' | 'outcome'>;
  /** Response-cache lookups by route template and result (hit, miss, bypass). */
  readonly cacheLookups: Counter<'route' | 'result'>;
  /** Answers compressed, by route template and encoding (policy.compress). */
  readonly compressedResponses: Counter<'route' | 'encoding'>;
  /** Bytes of whole answers before (`in`) and after (`out`) compression, by route template; streamed ones are not counted. */
  readonly compressionBytes: Counter<'route' | 'stage'>;
  /** 1 for the routing-map version in use (info-style gauge). */
  readonly routingMapInfo: Gauge<'version'>;

  constructor(options: MetricsOptions) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    this.registry.setDefaultLabels({ service: options.serviceName });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new LabelledCounter({ name: 'http_requests_total', help: 'HTTP requests answered, by route template, method and status', labelNames: ['route', 'method', 'status'], registers });
    this.httpDuration = new LabelledHistogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration until the response is handed to Koa, by route template, method and status class',
      labelNames: ['route', 'method', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inflight = new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being processed', registers });
    this.upstreamCalls = new LabelledHistogram({
      name: 'portico_upstream_call_duration_seconds',
      help: 'Upstream call duration by upstream, operation and outcome',
      labelNames: ['upstream', 'operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rateLimitDecisions = new Counter({ name: 'portico_rate_limit_decisions_total', help: 'Rate-limit decisions by route template and outcome', labelNames: ['route', 'outcome'], registers });
    this.cacheLookups = new Counter({ name: 'portico_cache_lookups_total', help: 'Response-cache lookups by route template and result', labelNames: ['route', 'result'], registers });
    this.compressedResponses = new Counter({ name: 'portico_compressed_responses_total', help: 'Answers compressed, by route template and encoding', labelNames: ['route', 'encoding'], registers });
    this.compressionBytes = new Counter({
      name: 'portico_compression_bytes_total',
      help: 'Bytes of whole answers before (in) and after (out) compression, by route template',
      labelNames: ['route', 'stage'],
      registers,
    });
    this.routingMapInfo = new Gauge({ name: 'portico_routing_map_info', help: 'The routing-map version in use (value 1)', labelNames: ['version'], registers });
  }

  /** Records one upstream call that took `durationMs` milliseconds. */
  recordUpstream(labels: UpstreamLabels, durationMs: number): void {
    this.upstreamCalls.observe(labels, durationMs / 1000);
  }

  /** Marks `version` as the routing map in use, replacing the previous one. */
  setRoutingMapVersion(version: string): void {
    this.routingMapInfo.reset();
    this.routingMapInfo.set({ version }, 1);
  }

  /** The Prometheus text exposition of every metric, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Creates the service's metrics (see EdgeMetrics). */
export function createMetrics(options: MetricsOptions): EdgeMetrics {
  return new EdgeMetrics(options);
}
