import * as hdr from "hdr-histogram-js";
import { meanAndStddev, percentile, type LatencyStats } from "./stats";
import { mulberry32 } from "../prng";

// One operation's latency samples, in bounded memory whatever the run's size:
// - up to EXACT_CAP samples are kept as they are, so typical runs get exact figures identical to k6's;
// - past that, an HdrHistogram in nanoseconds with 3 significant digits takes over (≤ 0.1 % error);
// - count, mean, stddev (Welford), min and max are always exact;
// - a uniform reservoir of RESERVOIR_SIZE samples feeds rank tests (Mann-Whitney U) in comparisons.
// Accumulators merge exactly (union of samples), which is how distributed runs are combined.

export const EXACT_CAP = 100_000;
export const RESERVOIR_SIZE = 5_000;
const NS_PER_MS = 1e6;
const HIGHEST_NS = 3_600 * 1e9; // one hour; autoResize covers anything beyond

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_NS, numberOfSignificantValueDigits: 3, autoResize: true, bitBucketSize: 32 });
}

export class LatencyAccumulator {
  count = 0;
  private mean = 0;
  private m2 = 0;
  min = Infinity;
  max = -Infinity;
  private exact: Float64Array | null = new Float64Array(256);
  private histogram: hdr.Histogram | null = null;
  private sorted: Float64Array | null = null; // cache of the exact samples, sorted; dropped on record
  private reservoir = new Float64Array(RESERVOIR_SIZE);
  private reservoirLength = 0;
  // Seeded, so reservoirs (and the tests built on them) are reproducible.
  private readonly random = mulberry32(0x5eed);

  record(ms: number): void {
    this.sorted = null;
    this.count++;
    const delta = ms - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (ms - this.mean);
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (this.exact) {
      if (this.count > EXACT_CAP) this.switchToHistogram();
      else {
        if (this.count > this.exact.length) {
          const grown = new Float64Array(Math.min(this.exact.length * 2, EXACT_CAP));
          grown.set(this.exact);
          this.exact = grown;
        }
        this.exact[this.count - 1] = ms;
      }
    }
    if (this.histogram) this.histogram.recordValue(Math.max(1, Math.round(ms * NS_PER_MS)));
    this.sample(ms, this.count);
  }

  private sample(ms: number, seen: number): void {
    if (this.reservoirLength < RESERVOIR_SIZE) this.reservoir[this.reservoirLength++] = ms;
    else {
      const slot = Math.floor(this.random() * seen);
      if (slot < RESERVOIR_SIZE) this.reservoir[slot] = ms;
    }
  }

  private switchToHistogram(): void {
    const histogram = newHistogram();
    const kept = this.exact as Float64Array;
    for (let i = 0; i < this.count - 1 && i < kept.length; i++) histogram.recordValue(Math.max(1, Math.round((kept[i] as number) * NS_PER_MS)));
    this.histogram = histogram;
    this.exact = null;
  }

  /**
   * An accumulator rebuilt from a histogram another process kept (the perfdo output's stdout form,
   * `H` lines: HdrHistogram of nanoseconds, 3 significant digits) with its exact moments. Percentiles
   * come from the histogram (within 0.1 %); count, min, max, mean and stddev stay exact. Its reservoir
   * holds values at evenly spaced ranks of the histogram, standing in for a uniform sample.
   */
  static fromHistogram(histogram: hdr.Histogram, moments: { count: number; min: number; max: number; mean: number; m2: number }): LatencyAccumulator {
    const acc = new LatencyAccumulator();
    if (moments.count === 0) return acc;
    const own = newHistogram();
    own.add(histogram);
    acc.histogram = own;
    acc.exact = null;
    acc.count = moments.count;
    acc.min = moments.min;
    acc.max = moments.max;
    acc.mean = moments.mean;
    acc.m2 = moments.m2;
    const size = Math.min(RESERVOIR_SIZE, moments.count);
    for (let i = 0; i < size; i++) {
      const ns = own.getValueAtPercentile(((i + 0.5) / size) * 100);
      acc.reservoir[i] = Math.min(moments.max, Math.max(moments.min, ns / NS_PER_MS));
    }
    acc.reservoirLength = size;
    return acc;
  }

  /** True while every sample is kept as is (figures are exact, not histogram-estimated). */
  get isExact(): boolean {
    return this.exact !== null;
  }

  /** Adds every sample of `other` (the union), as if they had been recorded here. */
  merge(other: LatencyAccumulator): void {
    if (other.count === 0) return;
    this.sorted = null;
    const n = this.count + other.count;
    const delta = other.mean - this.mean;
    const m2 = this.m2 + other.m2 + (delta * delta * this.count * other.count) / n;
    const mean = this.mean + (delta * other.count) / n;
    const mine = this.samplesForMerge();
    const theirs = other.samplesForMerge();
    if (mine && theirs && n <= EXACT_CAP) {
      const merged = new Float64Array(Math.max(n, 256));
      merged.set(mine);
      merged.set(theirs, mine.length);
      this.exact = merged;
    } else {
      if (!this.histogram) this.switchToHistogramFrom(mine);
      (this.histogram as hdr.Histogram).add(other.histogram ?? LatencyAccumulator.histogramOf(theirs as Float64Array));
    }
    this.mergeReservoir(other, n);
    this.count = n;
    this.mean = mean;
    this.m2 = m2;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  private samplesForMerge(): Float64Array | null {
    return this.exact ? this.exact.subarray(0, this.count) : null;
  }

  private switchToHistogramFrom(samples: Float64Array | null): void {
    this.histogram = LatencyAccumulator.histogramOf(samples ?? new Float64Array(0));
    this.exact = null;
  }

  private static histogramOf(samples: Float64Array): hdr.Histogram {
    const histogram = newHistogram();
    for (const ms of samples) histogram.recordValue(Math.max(1, Math.round(ms * NS_PER_MS)));
    return histogram;
  }

  /** Each slot of the merged reservoir comes from either side in proportion to its sample count. */
  private mergeReservoir(other: LatencyAccumulator, total: number): void {
    const mine = this.reservoir.slice(0, this.reservoirLength);
    const theirs = other.reservoir.slice(0, other.reservoirLength);
    const size = Math.min(RESERVOIR_SIZE, mine.length + theirs.length);
    const merged = new Float64Array(RESERVOIR_SIZE);
    let i = 0;
    let j = 0;
    for (let k = 0; k < size; k++) {
      const fromMine = j >= theirs.length || (i < mine.length && this.random() < this.count / total);
      merged[k] = fromMine ? (mine[i++] as number) : (theirs[j++] as number);
    }
    this.reservoir = merged;
    this.reservoirLength = size;
  }

  /** A uniform random sample of at most RESERVOIR_SIZE durations (all of them for small runs). */
  samples(): number[] {
    return Array.from(this.reservoir.subarray(0, this.reservoirLength));
  }

  /** Interpolated like k6 (rank p·(n−1)); from the histogram, each rank is within 0.1 %. */
  private histogramPercentile(p: number): number {
    const h = this.histogram as hdr.Histogram;
    const n = this.count;
    const rank = (p / 100) * (n - 1);
    const lower = Math.floor(rank);
    const valueAtRank = (r: number): number => {
      const ns = h.getValueAtPercentile(((r + 1) / n) * 100);
      return Math.min(this.max, Math.max(this.min, ns / NS_PER_MS));
    };
    const lo = valueAtRank(lower);
    if (rank === lower) return lo;
    return lo + (valueAtRank(Math.min(lower + 1, n - 1)) - lo) * (rank - lower);
  }

  private sortedExact(): Float64Array {
    this.sorted ??= (this.exact as Float64Array).slice(0, this.count).sort();
    return this.sorted;
  }

  /** Any percentile (0–100) the k6 way; null without samples. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    return this.exact ? percentile(this.sortedExact(), p) : this.histogramPercentile(p);
  }

  stats(): LatencyStats | null {
    if (this.count === 0) return null;
    // Exact runs take mean and stddev from the sorted samples, the same pass as results/stats.ts,
    // so they agree with k6 digit for digit; histogram runs use the running (Welford) moments.
    const moments = this.exact ? meanAndStddev(this.sortedExact()) : { mean: this.mean, stddev: Math.sqrt(this.m2 / this.count) };
    return {
      p50: this.percentile(50) as number,
      p95: this.percentile(95) as number,
      p99: this.percentile(99) as number,
      min: this.min,
      max: this.max,
      mean: moments.mean,
      stddev: moments.stddev,
    };
  }
}
