import type { BenchmarkResult } from "../results/schema";
import { benchmarkKey } from "./key";
import { LATENCY_METRICS, MEMORY_METRICS, type LatencyMetric, type MemoryMetric, type RegressionRules, type Rule, type RuleMetric } from "./rules";
import { historySpread, mannWhitney, twoProportion, type TestResult } from "./significance";

// Current results against a baseline, rule by rule. Pure: callers gather results and samples.

export type Verdict = "pass" | "improved" | "warn" | "fail" | "skipped";
const SEVERITY: Record<Verdict, number> = { skipped: 0, pass: 1, improved: 1, warn: 2, fail: 3 };

export interface RuleOutcome {
  metric: RuleMetric;
  baseline: number | null;
  current: number | null;
  /** Relative for latency (0.12 = +12 %), absolute for errorRate. */
  change: number | null;
  test: TestResult;
  verdict: Verdict;
  note?: string;
}

export interface BenchmarkComparison {
  key: string;
  scenario: string;
  name: string;
  target: string;
  targetKind: "local" | "remote";
  profile: string;
  baselineRuns: number;
  outcomes: RuleOutcome[];
  verdict: Verdict;
}

export interface BaselineSet {
  /** Every baseline line, possibly several runs per benchmark. */
  results: readonly BenchmarkResult[];
  samples: ReadonlyMap<string, readonly number[]>;
}

export function worst(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a), "skipped");
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Vargha-Delaney A a rank-test change needs when run-to-run spread cannot be measured (fewer than
 * three baseline runs): "large" on their scale, i.e. the current run is slower in ≥ 71 % of pairs.
 */
export const LARGE_EFFECT = 0.71;

/**
 * A rank test sees only the noise within runs; on a shared or busy machine whole runs also shift
 * (identical runs here moved 12 % in mean, which a rank test over a few hundred samples calls
 * significant). So with samples on both sides Mann-Whitney decides, and the change must also
 * stand out from the run-to-run spread of 3+ baseline runs, or, with fewer, be a large effect.
 */
function significance(
  current: number,
  history: readonly number[],
  samples: { current?: readonly number[]; baseline?: readonly number[] },
  direction: "greater" | "less",
  alpha: number,
): TestResult {
  const spread = historySpread(current, history, direction, alpha);
  if (!samples.current || !samples.baseline || samples.current.length < 8 || samples.baseline.length < 8) return spread;
  const rank = mannWhitney(samples.current, samples.baseline, direction, alpha);
  if (history.length < 3) {
    const large = (rank.effect ?? 0) >= LARGE_EFFECT;
    const note = `effect A=${(rank.effect ?? 0).toFixed(2)}${large ? "" : `, below ${LARGE_EFFECT} needed with < 3 baseline runs`}`;
    return { ...rank, significant: rank.significant && large, note };
  }
  return {
    test: "mann-whitney",
    p: rank.p,
    significant: rank.significant && spread.significant,
    note: `and history spread: ${spread.significant ? "outside" : "within"} (${spread.note ?? ""})`,
  };
}

function latencyOutcome(
  metric: LatencyMetric,
  rule: Rule,
  current: BenchmarkResult,
  base: readonly BenchmarkResult[],
  samples: { current?: readonly number[]; baseline?: readonly number[] },
  alpha: number,
): RuleOutcome {
  const history = base.filter((r) => r.latency !== null).map((r) => (r.latency as NonNullable<BenchmarkResult["latency"]>)[metric]);
  const baseline = history.length > 0 ? mean(history) : null;
  const cur = current.latency ? current.latency[metric] : null;
  const none: TestResult = { test: "none", significant: false };
  if (baseline === null) return { metric, baseline, current: cur, change: null, test: none, verdict: "skipped", note: "baseline has no successful responses" };
  if (cur === null) return { metric, baseline, current: cur, change: null, test: none, verdict: "fail", note: "no successful responses" };
  const change = baseline > 0 ? (cur - baseline) / baseline : 0;
  if (Math.abs(change) <= rule.warn) return { metric, baseline, current: cur, change, test: none, verdict: "pass" };
  const direction = change > 0 ? "greater" : "less";
  const test = significance(cur, history, samples, direction, alpha);
  if (!test.significant) return { metric, baseline, current: cur, change, test, verdict: "pass", note: "change within noise" };
  if (change < 0) return { metric, baseline, current: cur, change, test, verdict: "improved" };
  return { metric, baseline, current: cur, change, test, verdict: rule.fail !== null && change > rule.fail ? "fail" : "warn" };
}

function errorRateOutcome(rule: Rule, current: BenchmarkResult, base: readonly BenchmarkResult[], alpha: number): RuleOutcome {
  const baseErrors = base.reduce((a, r) => a + r.errors, 0);
  const baseTotal = base.reduce((a, r) => a + r.iterations, 0);
  const baseline = baseTotal > 0 ? baseErrors / baseTotal : 0;
  const change = current.errorRate - baseline;
  const none: TestResult = { test: "none", significant: false };
  if (change <= rule.warn) return { metric: "errorRate", baseline, current: current.errorRate, change, test: none, verdict: "pass" };
  const test = twoProportion(current.errors, current.iterations, baseErrors, baseTotal, alpha);
  if (!test.significant) return { metric: "errorRate", baseline, current: current.errorRate, change, test, verdict: "pass", note: "change within noise" };
  const verdict = rule.fail !== null && change > rule.fail ? "fail" : "warn";
  return { metric: "errorRate", baseline, current: current.errorRate, change, test, verdict };
}

const memoryOf = (r: BenchmarkResult, metric: MemoryMetric): number | undefined =>
  r.resources?.[metric === "k6RssPeakMB" ? "k6" : "workerd"]?.rssPeakMB;

/**
 * Peak memory is a property of the run, not of a request: there are no samples to rank, only runs.
 * With 3+ baseline runs the change must stand out of their spread; with fewer, memory (far steadier
 * than latency) is judged on the change alone. Skipped when either side did not record it.
 */
function memoryOutcome(metric: MemoryMetric, rule: Rule, current: BenchmarkResult, base: readonly BenchmarkResult[], alpha: number): RuleOutcome | null {
  const cur = memoryOf(current, metric);
  const history = [...new Map(base.map((r) => [r.runId, memoryOf(r, metric)])).values()].filter((v): v is number => v !== undefined);
  if (cur === undefined || history.length === 0) return null;
  const baseline = mean(history);
  const change = baseline > 0 ? (cur - baseline) / baseline : 0;
  const none: TestResult = { test: "none", significant: false };
  if (Math.abs(change) <= rule.warn) return { metric, baseline, current: cur, change, test: none, verdict: "pass" };
  const direction = change > 0 ? "greater" : "less";
  const test: TestResult = history.length >= 3 ? historySpread(cur, history, direction, alpha) : { test: "none", significant: true, note: "fewer than 3 baseline runs: judged on the change" };
  if (!test.significant) return { metric, baseline, current: cur, change, test, verdict: "pass", note: "change within noise" };
  if (change < 0) return { metric, baseline, current: cur, change, test, verdict: "improved" };
  return { metric, baseline, current: cur, change, test, verdict: rule.fail !== null && change > rule.fail ? "fail" : "warn" };
}

export function compareResults(
  current: readonly BenchmarkResult[],
  currentSamples: ReadonlyMap<string, readonly number[]>,
  baseline: BaselineSet,
  rules: RegressionRules,
): BenchmarkComparison[] {
  const byKey = new Map<string, BenchmarkResult[]>();
  for (const r of baseline.results) {
    const key = benchmarkKey(r);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return current.map((result) => {
    const key = benchmarkKey(result);
    const base = byKey.get(key) ?? [];
    const head = { key, scenario: result.scenario, name: result.name, target: result.target, targetKind: result.targetKind, profile: result.profile };
    if (base.length === 0) return { ...head, baselineRuns: 0, outcomes: [], verdict: "skipped" as const };
    const samples = { current: currentSamples.get(key), baseline: baseline.samples.get(key) };
    const outcomes: RuleOutcome[] = [];
    for (const metric of LATENCY_METRICS) {
      const rule = rules.rules[metric];
      if (rule) outcomes.push(latencyOutcome(metric, rule, result, base, samples, rules.alpha));
    }
    if (rules.rules.errorRate) outcomes.push(errorRateOutcome(rules.rules.errorRate, result, base, rules.alpha));
    for (const metric of MEMORY_METRICS) {
      const rule = rules.rules[metric];
      const outcome = rule ? memoryOutcome(metric, rule, result, base, rules.alpha) : null;
      if (outcome) outcomes.push(outcome);
    }
    return { ...head, baselineRuns: new Set(base.map((r) => r.runId)).size, outcomes, verdict: worst(outcomes.map((o) => o.verdict)) };
  });
}
