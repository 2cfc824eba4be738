/**
 * Counters and histograms for the per-request series (HTTP requests, upstream calls), registered on a prom-client
 * Registry like its own metrics and exposed in the same text format.
 *
 * Why not prom-client's Counter and Histogram: each of their records validates the label object, hashes it into a
 * string and, for a histogram, looks its bucket up by the bound as an object key (a number-to-string conversion per
 * observation); two histograms and a counter per request came to about 5% of a proxied route's CPU
 * (docs/benchmarks.md, proxy-baselines). Here a series is found through one Map per label, by value, and a histogram
 * counts into an array by bucket index; the work of the text format is done at scrape time instead.
 */
import type { Registry } from 'prom-client';

/** One sample as prom-client's Registry formats it (`metricName` defaults to the metric's name). */
export interface LabelledSample {
  metricName?: string;
  labels: Record<string, string | number>;
  /** Written after `labels` and the registry's default labels, as prom-client's own histograms place their series labels. */
  sharedLabels?: Record<string, string>;
  value: number;
}

/** What get() returns: the shape prom-client's Registry reads from every metric (its typings name `type` as an enum the runtime does not use). */
export interface LabelledMetricValues {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: LabelledSample[];
  aggregator: 'sum';
}

interface LabelledMetricConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

/** A tree of Maps, one level per label name, whose leaves are the series. */
class SeriesTree<S> {
  private root = new Map<string, unknown>();

  constructor(
    private readonly labelNames: readonly string[],
    private readonly create: () => S,
  ) {}

  /** The series of these label values, created on first use; a missing label is recorded as "". */
  find(labels: Readonly<Record<string, string | undefined>>): S {
    let level = this.root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels[this.labelNames[i]!] ?? '';
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(value, (next = new Map()));
      level = next;
    }
    const value = labels[this.labelNames[last]!] ?? '';
    let series = level.get(value) as S | undefined;
    if (series === undefined) level.set(value, (series = this.create()));
    return series;
  }

  /** Every series with its labels, in first-recorded order. */
  entries(): Array<[Record<string, string>, S]> {
    const out: Array<[Record<string, string>, S]> = [];
    const walk = (level: Map<string, unknown>, depth: number, labels: Record<string, string>): void => {
      for (const [value, next] of level) {
        const named = { ...labels, [this.labelNames[depth]!]: value };
        if (depth === this.labelNames.length - 1) out.push([named, next as S]);
        else walk(next as Map<string, unknown>, depth + 1, named);
      }
    };
    walk(this.root, 0, {});
    return out;
  }

  clear(): void {
    this.root = new Map();
  }
}

abstract class LabelledMetric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** How prom-client's cluster registry merges workers' values. */
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';
  protected readonly series: SeriesTree<S>;

  constructor(config: LabelledMetricConfig<L>, create: () => S) {
    if (config.labelNames.length === 0) throw new Error(`${config.name}: a labelled metric needs at least one label`);
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.series = new SeriesTree(config.labelNames, create);
    for (const registry of config.registers) registry.registerMetric(this as never);
  }

  /** Forgets every series (prom-client's Registry.resetMetrics calls it). */
  reset(): void {
    this.series.clear();
  }
}

/** A monotonically increasing count per label set. */
export class LabelledCounter<L extends string> extends LabelledMetric<L, { value: number }> {
  readonly type = 'counter' as const;

  constructor(config: LabelledMetricConfig<L>) {
    super(config, () => ({ value: 0 }));
  }

  inc(labels: Readonly<Record<L, string>>, value = 1): void {
    if (!(value >= 0)) throw new TypeError(`${this.name}: a counter only goes up (got ${value})`);
    this.series.find(labels).value += value;
  }

  /** The values as prom-client's Registry formats them. */
  async get(): Promise<LabelledMetricValues> {
    const values = this.series.entries().map(([labels, series]) => ({ labels, value: series.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

interface HistogramSeries {
  /** Observations per bucket, not cumulative; the last slot counts those above every bound (+Inf). */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** Observations counted into fixed buckets per label set, with their sum and count. */
export class LabelledHistogram<L extends string> extends LabelledMetric<L, HistogramSeries> {
  readonly type = 'histogram' as const;
  private readonly bounds: readonly number[];

  constructor(config: LabelledMetricConfig<L> & { buckets: readonly number[] }) {
    const bounds = [...config.buckets];
    super(config, () => ({ counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 }));
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) throw new Error(`${config.name}: buckets must be finite and increasing`);
    this.bounds = bounds;
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: cannot observe ${value}`);
    const series = this.series.find(labels);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /** The values as prom-client's Registry formats them: cumulative `_bucket` series with `le`, then `_sum` and `_count`. */
  async get(): Promise<LabelledMetricValues> {
    const values: LabelledSample[] = [];
    for (const [labels, series] of this.series.entries()) {
      // As prom-client writes them: `le` first, then the default labels, then the series' own (so the text is the same).
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound }, sharedLabels: labels, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, sharedLabels: labels, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: {}, sharedLabels: labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: {}, sharedLabels: labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
