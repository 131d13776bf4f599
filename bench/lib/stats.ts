// Small statistics helpers: nearest-rank percentiles over recorded samples.

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: number[]): { n: number; p50: number; p99: number; mean: number; max: number } {
  const sorted = Float64Array.from(samples).sort();
  const mean = samples.reduce((sum, x) => sum + x, 0) / (samples.length || 1);
  return {
    n: samples.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export function median(samples: number[]): number {
  return percentile(Float64Array.from(samples).sort(), 50);
}
