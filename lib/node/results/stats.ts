// Latency statistics of one operation's samples. Pure. Percentiles interpolate linearly between
// closest ranks (index p·(n−1)), which is what k6's own summary does, so the figures agree with it;
// stddev is the population standard deviation (k6's summary has none).

export interface LatencyStats {
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
}

/** p in [0, 100] over ascending `sorted`. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error("percentile of no samples");
  if (p < 0 || p > 100) throw new Error(`percentile ${p} is outside 0..100`);
  const rank = (p / 100) * (n - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, n - 1);
  const lo = sorted[lower] as number;
  return lo + ((sorted[upper] as number) - lo) * (rank - lower);
}

/** Mean and population stddev in one pass (Welford), stable for large, tightly clustered samples. */
export function meanAndStddev(samples: ArrayLike<number>): { mean: number; stddev: number } {
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i] as number;
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  }
  return { mean, stddev: samples.length > 0 ? Math.sqrt(m2 / samples.length) : 0 };
}

/** null for no samples: an operation with no successful response has no latency to report. */
export function latencyStats(samples: Float64Array | number[]): LatencyStats | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const { mean, stddev } = meanAndStddev(sorted);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    mean,
    stddev,
  };
}

/**
 * A distribution-free interval for the median: the k-th smallest and k-th largest of n values,
 * k the largest with P(k ≤ Binomial(n, ½) ≤ n-k) ≥ 95 %. Null when n is too small (< 6).
 */
export function medianInterval(xs: number[]): { low: number; high: number; coverage: number } | null {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const pmf = (i: number): number => {
    let c = 1;
    for (let j = 1; j <= i; j++) c = (c * (n - j + 1)) / j;
    return c / 2 ** n;
  };
  let best: { low: number; high: number; coverage: number } | null = null;
  let tail = 0; // P(B ≤ k-1)
  for (let k = 1; 2 * k <= n; k++) {
    tail += pmf(k - 1);
    const coverage = 1 - 2 * tail;
    if (coverage < 0.95) break;
    best = { low: s[k - 1] as number, high: s[n - k] as number, coverage };
  }
  return best;
}
