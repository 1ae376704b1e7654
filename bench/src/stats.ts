/** Small statistics helpers: durations are in nanoseconds (numbers), reported in milliseconds. */
export interface Summary { n: number; medianMs: number; p95Ms: number; meanMs: number; opsPerSec: number }

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest-rank: the smallest sample with at least q of the samples at or below it.
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(durationsNs: number[]): Summary {
  const sorted = [...durationsNs].sort((a, b) => a - b);
  const total = sorted.reduce((s, d) => s + d, 0);
  const n = sorted.length;
  return {
    n,
    medianMs: quantile(sorted, 0.5) / 1e6,
    p95Ms: quantile(sorted, 0.95) / 1e6,
    meanMs: total / n / 1e6,
    // Ops issued one after another: throughput is the inverse of the mean latency.
    opsPerSec: n / (total / 1e9),
  };
}

export function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}
