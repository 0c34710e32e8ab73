import { mulberry32 } from "../prng";
import { benchmarkKey } from "./key";
import type { BenchmarkResult } from "../results/schema";

// Where a benchmark's level shifted over its history: E-divisive means (Matteson & James 2014, the
// method MongoDB's performance CI uses), hand-written because no well-kept npm package provides it.
// The series is split where the energy distance between the two sides, weighted by their sizes, is
// largest; the split is kept when a permutation test (199 seeded shuffles) gives p < 0.05 and the
// means differ by at least MIN_SHIFT; then each side is searched again. A series of pure noise is
// reported as shifted about 5 % of the time (the test's level); the minimum shift lowers that further.

export interface ChangePointOptions {
  /** Fewest points on each side of a split. */
  minSize: number;
  permutations: number;
  /** Largest p-value accepted. */
  significance: number;
  /** Smallest |after − before| / before that counts, so that a tiny but steady drift is not reported. */
  minShift: number;
  seed: number;
}

export const CHANGE_POINT_DEFAULTS: ChangePointOptions = { minSize: 4, permutations: 199, significance: 0.05, minShift: 0.05, seed: 20261123 };

/** A split of x at index `tau` (the first point of the right side) and its statistic. */
function bestSplit(x: readonly number[], minSize: number): { tau: number; q: number } | null {
  const n = x.length;
  if (n < 2 * minSize) return null;
  const d = (i: number, j: number) => Math.abs((x[i] as number) - (x[j] as number));
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) total += d(i, j);
  // left = within x[0..t), right = within x[t..n), cross = total − left − right.
  let left = 0;
  let right = total;
  let best: { tau: number; q: number } | null = null;
  for (let t = 1; t < n; t++) {
    // Move x[t−1] from the right side to the left.
    for (let k = t; k < n; k++) right -= d(t - 1, k);
    for (let i = 0; i < t - 1; i++) left += d(i, t - 1);
    const m = t;
    const r = n - t;
    if (m < minSize || r < minSize) continue;
    const cross = total - left - right;
    const energy = (2 * cross) / (m * r) - left / ((m * (m - 1)) / 2) - right / ((r * (r - 1)) / 2);
    const q = ((m * r) / n) * energy;
    if (!best || q > best.q) best = { tau: t, q };
  }
  return best;
}


const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;

export interface Split {
  /** Index of the first point after the shift. */
  index: number;
  pValue: number;
  before: number;
  after: number;
}

/** Every significant shift of `x`, in index order. */
export function eDivisive(x: readonly number[], options: Partial<ChangePointOptions> = {}): Split[] {
  const o = { ...CHANGE_POINT_DEFAULTS, ...options };
  const rand = mulberry32(o.seed); // seeded: the same history gives the same change points every time
  const found: Split[] = [];
  const search = (from: number, to: number): void => {
    const segment = x.slice(from, to);
    const split = bestSplit(segment, o.minSize);
    if (!split) return;
    let asLarge = 0;
    const shuffled = [...segment];
    for (let p = 0; p < o.permutations; p++) {
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
      }
      const q = bestSplit(shuffled, o.minSize)?.q ?? 0;
      if (q >= split.q) asLarge++;
    }
    const pValue = (asLarge + 1) / (o.permutations + 1);
    if (pValue >= o.significance) return;
    found.push({ index: from + split.tau, pValue, before: 0, after: 0 });
    search(from, from + split.tau);
    search(from + split.tau, to);
  };
  search(0, x.length);
  // Each shift's size between its neighbouring change points; too small a one is not reported (a
  // significant but tiny split still divided the search, so shifts on either side were found).
  const sorted = found.sort((a, b) => a.index - b.index);
  const bounds = [0, ...sorted.map((s) => s.index), x.length];
  return sorted
    .map((s, i) => ({ ...s, before: mean(x.slice(bounds[i], s.index)), after: mean(x.slice(s.index, bounds[i + 2])) }))
    .filter((s) => (s.before === 0 ? s.after !== 0 : Math.abs(s.after - s.before) / Math.abs(s.before) >= o.minShift));
}

export interface ChangePoint {
  key: string;
  name: string;
  /** The first run at the new level. */
  runId: string;
  gitCommit?: string;
  timestamp: string;
  /** Mean p95 (ms) of the runs before and from this one, up to the neighbouring change points. */
  before: number;
  after: number;
  shiftPct: number;
  pValue: number;
}

/** Change points of every benchmark's p95 over the history (interrupted runs and runs without latency left out). */
export function changePoints(history: readonly BenchmarkResult[], options: Partial<ChangePointOptions> = {}): ChangePoint[] {
  const byKey = new Map<string, BenchmarkResult[]>();
  for (const r of history) {
    if (!r.latency || r.interrupted) continue;
    const key = benchmarkKey(r);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const out: ChangePoint[] = [];
  for (const [key, runs] of byKey) {
    runs.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    for (const s of eDivisive(runs.map((r) => r.latency?.p95 as number), options)) {
      const at = runs[s.index] as BenchmarkResult;
      out.push({
        key, name: at.name, runId: at.runId, gitCommit: at.provenance.gitCommit, timestamp: at.timestamp,
        before: s.before, after: s.after, shiftPct: s.before === 0 ? 0 : ((s.after - s.before) / s.before) * 100, pValue: s.pValue,
      });
    }
  }
  return out.sort((a, b) => a.key.localeCompare(b.key) || a.timestamp.localeCompare(b.timestamp));
}
