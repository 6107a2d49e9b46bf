import type { Counter, Registry } from 'prom-client';

/**
 * Series the call path keeps as plain numbers, handed to prom-client only
 * when /metrics is scraped. A prom-client child's `inc()`/`observe()` hashes
 * its labels and validates them on every call (the child is the parent's
 * method bound to the label object) and a histogram's `observe` builds a
 * closure and converts its bucket bound to a string each time: ~0.85 µs and
 * several short-lived objects per tool call in all. Here a call is a few Map
 * lookups of strings it already holds and an increment.
 */

/** Counts by three label values, nested maps so that counting builds no key string. */
export class CountsByThree {
  private readonly counts = new Map<string, Map<string, Map<string | number, { value: number }>>>();

  inc(a: string, b: string, c: string | number): void {
    let byB = this.counts.get(a);
    if (!byB) this.counts.set(a, (byB = new Map()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map()));
    const cell = byC.get(c);
    if (cell) cell.value++;
    else byC.set(c, { value: 1 });
  }

  *entries(): Generator<[string, string, string | number, number]> {
    for (const [a, byB] of this.counts) for (const [b, byC] of byB) for (const [c, cell] of byC) yield [a, b, c, cell.value];
  }
}

/** Hands a CountsByThree to a prom-client counter at each scrape (its `collect`): the exposition is prom-client's. */
export function collectInto<L extends string>(counter: Counter<L>, counts: CountsByThree, names: readonly [L, L, L]): void {
  counter.reset();
  const [a, b, c] = names;
  for (const [x, y, z, value] of counts.entries()) counter.inc({ [a]: x, [b]: y, [c]: String(z) } as Record<L, string>, value);
}

/** One line of the exposition, as prom-client's registry reads it. */
interface ExposedValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

interface Cells {
  /** Observations per bucket (not cumulative); the last cell is above the highest bound. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram with one label, observed without prom-client on the call path
 * and exposed through the registry in prom-client's own shape (the same
 * lines, in the same order, as a prom-client Histogram of these buckets and
 * this label: tested).
 */
export class PrecountedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, Cells>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly label: string,
    private readonly bounds: readonly number[],
  ) {}

  observe(labelValue: string, value: number): void {
    let cells = this.cells.get(labelValue);
    if (!cells) this.cells.set(labelValue, (cells = { buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }));
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    cells.buckets[i]!++;
    cells.sum += value;
    cells.count++;
  }

  /** The registry's view (what `registry.metrics()` formats). */
  async get(): Promise<{ name: string; help: string; type: string; values: ExposedValue[]; aggregator: string }> {
    const values: ExposedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const [labelValue, cells] of this.cells) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cells.buckets[i]!;
        values.push({ metricName: bucketName, labels: { le: bound, [this.label]: labelValue }, value: cumulative });
      });
      values.push({ metricName: bucketName, labels: { le: '+Inf', [this.label]: labelValue }, value: cells.count });
      values.push({ metricName: `${this.name}_sum`, labels: { [this.label]: labelValue }, value: cells.sum });
      values.push({ metricName: `${this.name}_count`, labels: { [this.label]: labelValue }, value: cells.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.cells.clear();
  }

  /** Registers this histogram as one of the registry's metrics (prom-client's registry takes any metric with `get()`). */
  registerIn(registry: Registry): void {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
