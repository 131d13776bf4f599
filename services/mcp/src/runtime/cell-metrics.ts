// Counters and histograms whose label sets are plain cells: a number, or a row of bucket counts with a sum. They
// live in a prom-client registry, which asks each for its samples when /metrics is scraped and writes the
// exposition (HELP and TYPE lines, label escaping). Why not prom-client's own: every MCP call counts and times
// itself twice (the HTTP request, the tool call), and prom-client records each observation by validating and hashing
// its labels and adding it to an object keyed by the bucket bound as a string; that was ~6% of a legacy message's
// CPU and ~4% of a 2026-07-28 call's (A/B, docs/performance.md). Here a label set's cell is found once per set
// of values and an observation is a few additions.
import type { Metric, Registry } from 'prom-client';

type Values<Names extends readonly string[]> = { [K in keyof Names]: string };

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface Options<Names extends readonly string[]> {
  name: string;
  help: string;
  /** None: one unlabelled series. */
  labelNames?: Names;
  registers: Registry[];
}

abstract class CellMetric<Names extends readonly string[], Cell> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram';
  /** How prom-client's cluster mode combines workers' samples. */
  readonly aggregator = 'sum';
  readonly #labelNames: Names;
  readonly #cells = new Map<string, { labels: Record<string, string>; cell: Cell }>();

  constructor(options: Options<Names>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames ?? ([] as unknown as Names);
    // The registry holds prom-client's metric classes by type; what it reads of them is name, help, type,
    // aggregator, get() and reset(), which these provide.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  protected abstract newCell(): Cell;
  protected abstract samples(labels: Record<string, string>, cell: Cell): Sample[];

  /** The cell of one set of label values, in the order of labelNames (one Map lookup). */
  labels(...values: Values<Names>): Cell {
    return this.#cell(values);
  }

  #cell(values: readonly string[]): Cell {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let entry = this.#cells.get(key);
    if (entry === undefined) {
      if (values.length !== this.#labelNames.length)
        throw new TypeError(`${this.name} takes ${this.#labelNames.length} label values, got ${values.length}`);
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, i) => {
        labels[name] = values[i] as string;
      });
      entry = { labels, cell: this.newCell() };
      this.#cells.set(key, entry);
    }
    return entry.cell;
  }

  async get() {
    const values: Sample[] = [];
    for (const { labels, cell } of this.#cells.values()) values.push(...this.samples(labels, cell));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forgets every label set. */
  reset(): void {
    this.#cells.clear();
  }

  /** A metric without labels shows zeros before its first use (as prom-client's do). */
  protected showUnlabelled(): void {
    if (this.#labelNames.length === 0) this.#cell([]);
  }
}

/** One label set's count. */
export class CounterCell {
  count = 0;
  inc(by = 1): void {
    this.count += by;
  }
}

export class CellCounter<const Names extends readonly string[] = []> extends CellMetric<Names, CounterCell> {
  readonly type = 'counter';

  constructor(options: Options<Names>) {
    super(options);
    this.showUnlabelled();
  }

  /** Forgets every label set; a counter without labels reads 0 again (as prom-client's does). */
  override reset(): void {
    super.reset();
    this.showUnlabelled();
  }

  inc(this: CellCounter<[]>, by = 1): void {
    this.labels().inc(by);
  }

  protected newCell(): CounterCell {
    return new CounterCell();
  }

  protected samples(labels: Record<string, string>, cell: CounterCell): Sample[] {
    return [{ value: cell.count, labels }];
  }
}

/** One label set's observations: how many fell at or under each bound (and above the last), and their sum. */
export class HistogramCell {
  readonly #bounds: readonly number[];
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last one: above every bound. */
  readonly counts: number[];
  sum = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
  }
}

export class CellHistogram<const Names extends readonly string[] = []> extends CellMetric<Names, HistogramCell> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(options: Options<Names> & { buckets: readonly number[] }) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    this.showUnlabelled();
  }

  observe(this: CellHistogram<[]>, value: number): void {
    this.labels().observe(value);
  }

  protected newCell(): HistogramCell {
    return new HistogramCell(this.#bounds);
  }

  protected samples(labels: Record<string, string>, { counts, sum }: HistogramCell): Sample[] {
    const bucket = `${this.name}_bucket`;
    const samples: Sample[] = [];
    let cumulative = 0;
    this.#bounds.forEach((le, i) => {
      cumulative += counts[i] as number;
      samples.push({ value: cumulative, labels: { ...labels, le }, metricName: bucket });
    });
    cumulative += counts[this.#bounds.length] as number;
    samples.push({ value: cumulative, labels: { ...labels, le: '+Inf' }, metricName: bucket });
    samples.push({ value: sum, labels, metricName: `${this.name}_sum` });
    samples.push({ value: cumulative, labels, metricName: `${this.name}_count` });
    return samples;
  }
}
