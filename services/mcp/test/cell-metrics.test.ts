// Cell metrics (src/runtime/cell-metrics.ts) stand in for prom-client's Counter and Histogram on the request path:
// whatever they record must read the same in /metrics as prom-client's own would (label order within a line aside).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { CellCounter, CellHistogram } from '../src/runtime/cell-metrics.ts';

/** The exposition's lines with each line's labels in name order, so lines of either writer compare as text. */
function normalized(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      line.replace(/\{(.*)\}/, (_whole, labels: string) => {
        const pairs = labels.match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g) ?? [];
        return `{${pairs.sort().join(',')}}`;
      }),
    )
    .sort();
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
// Values on the bounds (a bound is inclusive), between them, below the first and above the last.
const OBSERVED = [0, 0.001, 0.005, 0.0051, 0.01, 0.02, 0.25, 0.2500001, 1, 3, 30, 299.9, 300, 300.5, 1e6];

describe('cell metrics', () => {
  it('a counter and a histogram read as prom-client’s read after the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    // Both sides are built from the same options.
    const counter = { name: 'requests_total', help: 'Requests.', labelNames: ['method', 'route', 'status'] } as const;
    const histogram = {
      name: 'duration_seconds',
      help: 'Durations.',
      labelNames: ['method', 'route'],
      buckets: BUCKETS,
    } as const;
    const cellCounter = new CellCounter({ ...counter, registers: [ours] });
    const promCounter = new Counter({ ...counter, registers: [theirs] });
    const cellHistogram = new CellHistogram({ ...histogram, registers: [ours] });
    const promHistogram = new Histogram({ ...histogram, registers: [theirs] });
    const routes = [
      ['POST', '/mcp', '200'],
      ['GET', '/sse', '200'],
      ['POST', 'a "quoted\\ \n route', '404'],
    ] as const;
    OBSERVED.forEach((seconds, i) => {
      const [method, route, status] = routes[i % routes.length] as (typeof routes)[number];
      cellCounter.labels(method, route, status).inc();
      promCounter.labels(method, route, status).inc();
      cellHistogram.labels(method, route).observe(seconds);
      promHistogram.labels(method, route).observe(seconds);
    });
    cellCounter.labels('POST', '/mcp', '200').inc(5);
    promCounter.labels('POST', '/mcp', '200').inc(5);

    assert.deepEqual(normalized(await ours.metrics()), normalized(await theirs.metrics()));
    assert.deepEqual(
      (await ours.getSingleMetric('requests_total')?.get())?.values,
      (await theirs.getSingleMetric('requests_total')?.get())?.values,
    );
  });

  it('metrics without labels show zero before their first use and after a reset, as prom-client’s do', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counter = new CellCounter({ name: 'released_total', help: 'Released.', registers: [ours] });
    new Counter({ name: 'released_total', help: 'Released.', registers: [theirs] });
    new CellHistogram({ name: 'gc_seconds', help: 'Pauses.', buckets: [0.1, 1], registers: [ours] });
    new Histogram({ name: 'gc_seconds', help: 'Pauses.', buckets: [0.1, 1], registers: [theirs] });
    assert.deepEqual(normalized(await ours.metrics()), normalized(await theirs.metrics()));

    counter.inc(3);
    assert.match(await ours.metrics(), /^released_total 3$/m);
    ours.resetMetrics();
    theirs.resetMetrics();
    assert.deepEqual(normalized(await ours.metrics()), normalized(await theirs.metrics()));
  });

  it('refuses a label set of the wrong size', () => {
    const counter = new CellCounter({ name: 'c_total', help: 'C.', labelNames: ['tool', 'outcome'], registers: [] });
    assert.throws(() => (counter.labels as (...values: string[]) => unknown)('only-one'), /takes 2 label values/);
  });
});
