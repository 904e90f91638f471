import { Counter, type Registry } from 'prom-client';

/**
 * Hot-path metrics kept as plain numbers per label set and handed to prom-client only when
 * /metrics is scraped. prom-client validates and hashes the labels on every increment and
 * observation, even through a child from `labels()`: twice a request that showed in profiles.
 */
interface MetricConfig<L extends string> {
  registry: Registry;
  name: string;
  help: string;
  labelNames: readonly L[];
}

/** Children by their label values, one map level per label: no key is built on the hot path. */
function childrenBy<C>(make: (labels: Record<string, string>) => C, labelNames: readonly string[]) {
  const children: C[] = [];
  const root = new Map<string, unknown>();
  return {
    children,
    child(values: string[]): C {
      let level = root;
      for (let index = 0; index < values.length - 1; index++) {
        let next = level.get(values[index]!) as Map<string, unknown> | undefined;
        if (!next) level.set(values[index]!, (next = new Map()));
        level = next;
      }
      const last = values[values.length - 1]!;
      let child = level.get(last) as C | undefined;
      if (!child) {
        child = make(Object.fromEntries(labelNames.map((name, index) => [name, values[index]!])));
        level.set(last, child);
        children.push(child);
      }
      return child;
    },
    clear() {
      children.length = 0;
      root.clear();
    },
  };
}

/** Reads a cumulative number kept elsewhere into a counter at scrape time. */
export function setCounter(counter: Counter<string>, labels: Record<string, string>, total: number): void {
  counter.remove(labels);
  counter.inc(labels, total);
}

export interface CountedChild {
  inc(amount?: number): void;
}

/** A counter by labels: `child(values).inc(n)` adds to a number; the scrape reads the totals. */
export function recordedCounter<L extends string>(config: MetricConfig<L>): (...values: string[]) => CountedChild {
  const { children, child } = childrenBy((labels) => ({ labels, total: 0, inc(amount = 1) { this.total += amount; } }), config.labelNames);
  new Counter({
    name: config.name,
    help: config.help,
    labelNames: config.labelNames,
    registers: [config.registry],
    collect() {
      for (const { labels, total } of children) setCounter(this as Counter<string>, labels, total);
    },
  });
  return (...values) => child(values);
}

export interface ObservedChild {
  observe(value: number): void;
}

interface HistogramChild extends ObservedChild {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** A histogram by labels, exposed through the registry in prom-client's own histogram form. */
export function recordedHistogram<L extends string>(config: MetricConfig<L> & { buckets: readonly number[] }): (...values: string[]) => ObservedChild {
  const { buckets } = config;
  const { children, child, clear } = childrenBy(
    (labels): HistogramChild => ({
      labels,
      counts: new Array<number>(buckets.length + 1).fill(0),
      sum: 0,
      count: 0,
      observe(value) {
        let index = 0;
        while (index < buckets.length && value > buckets[index]!) index++;
        this.counts[index]!++;
        this.sum += value;
        this.count++;
      },
    }),
    config.labelNames,
  );
  config.registry.registerMetric({
    name: config.name,
    help: config.help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({
      name: config.name,
      help: config.help,
      type: 'histogram',
      aggregator: 'sum',
      values: children.flatMap(({ labels, counts, sum, count }) => {
        let cumulative = 0;
        return [
          ...buckets.map((bound, index) => ({ labels: { ...labels, le: bound }, value: (cumulative += counts[index]!), metricName: `${config.name}_bucket` })),
          { labels: { ...labels, le: '+Inf' }, value: count, metricName: `${config.name}_bucket` },
          { labels, value: sum, metricName: `${config.name}_sum` },
          { labels, value: count, metricName: `${config.name}_count` },
        ];
      }),
    }),
    reset: clear,
  } as never);
  return (...values) => child(values);
}
