import { cumulativeStdNormalProbability } from "simple-statistics";

// Is a change real or noise? Three tests, each one-sided in the direction asked about:
// - Mann-Whitney U (rank-sum) when raw samples of both sides exist: distribution-free;
// - a prediction-interval t test over the history's run-to-run spread otherwise;
// - a two-proportion z test for error rates.

export type Direction = "greater" | "less";

export interface TestResult {
  test: "mann-whitney" | "history-spread" | "two-proportion" | "none";
  /** One-sided p-value, where the test gives one. */
  p?: number;
  /** Mann-Whitney only: Vargha-Delaney A, the share of (current, baseline) pairs in the tested direction. */
  effect?: number;
  significant: boolean;
  note?: string;
}

const normalCdf = (z: number): number => (z > 6 ? 1 : z < -6 ? 0 : cumulativeStdNormalProbability(z));

/**
 * Rank sum of `xs` in the pooled sample, ties given their average rank, plus the tie term
 * Σ(t³ − t) the variance needs. Written here rather than taken from simple-statistics, whose
 * wilcoxonRankSum mis-ranks samples with several tie groups (and slows down quadratically on them).
 */
export function rankSum(xs: readonly number[], ys: readonly number[]): { rankSum: number; tieTerm: number } {
  const pooled = [...xs.map((v) => ({ v, x: true })), ...ys.map((v) => ({ v, x: false }))].sort((a, b) => a.v - b.v);
  let sum = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i + 1;
    while (j < pooled.length && (pooled[j] as { v: number }).v === (pooled[i] as { v: number }).v) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i+1 … j
    for (let k = i; k < j; k++) if ((pooled[k] as { x: boolean }).x) sum += averageRank;
    const t = j - i;
    tieTerm += t * t * t - t;
    i = j;
  }
  return { rankSum: sum, tieTerm };
}

/**
 * Mann-Whitney U with the normal approximation and tie-corrected variance (n ≥ 8 a side).
 * `current` is "greater" when its values tend to be larger than `baseline`'s.
 */
export function mannWhitney(current: readonly number[], baseline: readonly number[], direction: Direction, alpha: number): TestResult {
  const n1 = current.length;
  const n2 = baseline.length;
  if (n1 < 8 || n2 < 8) return { test: "mann-whitney", significant: false, note: `too few samples (${n1} vs ${n2})` };
  const { rankSum: r1, tieTerm } = rankSum(current, baseline);
  const n = n1 + n2;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { test: "mann-whitney", p: 1, significant: false, note: "all values equal" };
  const z = (u - (n1 * n2) / 2) / Math.sqrt(variance);
  const p = direction === "greater" ? 1 - normalCdf(z) : normalCdf(z);
  const a = u / (n1 * n2);
  return { test: "mann-whitney", p, effect: direction === "greater" ? a : 1 - a, significant: p < alpha };
}

/** One-sided critical t values, df 1..30, for alpha 0.10 / 0.05 / 0.01 (then the normal's). */
const T_CRITICAL: Record<string, readonly number[]> = {
  "0.1": [3.078, 1.886, 1.638, 1.533, 1.476, 1.44, 1.415, 1.397, 1.383, 1.372, 1.363, 1.356, 1.35, 1.345, 1.341, 1.337, 1.333, 1.33, 1.328, 1.325, 1.323, 1.321, 1.319, 1.318, 1.316, 1.315, 1.314, 1.313, 1.311, 1.31],
  "0.05": [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.74, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697],
  "0.01": [31.821, 6.965, 4.541, 3.747, 3.365, 3.143, 2.998, 2.896, 2.821, 2.764, 2.718, 2.681, 2.65, 2.624, 2.602, 2.583, 2.567, 2.552, 2.539, 2.528, 2.518, 2.508, 2.5, 2.492, 2.485, 2.479, 2.473, 2.467, 2.462, 2.457],
};
const Z_CRITICAL: Record<string, number> = { "0.1": 1.282, "0.05": 1.645, "0.01": 2.326 };

export function tCritical(df: number, alpha: number): number {
  const key = String(alpha);
  const table = T_CRITICAL[key];
  if (!table) throw new Error(`alpha ${alpha} is not one of 0.1, 0.05, 0.01`);
  return df <= table.length ? (table[df - 1] as number) : (Z_CRITICAL[key] as number);
}

/**
 * Does `current` fall outside what the history's run-to-run spread predicts? A one-sided
 * prediction interval: t = (x − mean) / (sd · √(1 + 1/n)), df = n − 1. Needs three runs.
 */
export function historySpread(current: number, history: readonly number[], direction: Direction, alpha: number): TestResult {
  const n = history.length;
  if (n < 3) return { test: "history-spread", significant: false, note: `needs 3 runs of history, has ${n}` };
  const mean = history.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(history.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  if (sd === 0) return { test: "history-spread", significant: current !== mean && (direction === "greater" ? current > mean : current < mean), note: "history has no spread" };
  const t = (current - mean) / (sd * Math.sqrt(1 + 1 / n));
  const critical = tCritical(n - 1, alpha);
  const significant = direction === "greater" ? t > critical : t < -critical;
  return { test: "history-spread", significant, note: `t=${t.toFixed(2)} vs ${critical}` };
}

/** Two-proportion z test (pooled): is the current failure rate higher than the baseline's? */
export function twoProportion(currentFailures: number, currentTotal: number, baseFailures: number, baseTotal: number, alpha: number): TestResult {
  if (currentTotal === 0 || baseTotal === 0) return { test: "two-proportion", significant: false, note: "no requests on one side" };
  const p1 = currentFailures / currentTotal;
  const p2 = baseFailures / baseTotal;
  const pooled = (currentFailures + baseFailures) / (currentTotal + baseTotal);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / currentTotal + 1 / baseTotal));
  if (se === 0) return { test: "two-proportion", p: 1, significant: false };
  const p = 1 - normalCdf((p1 - p2) / se);
  return { test: "two-proportion", p, significant: p < alpha };
}
