import type { BenchmarkComparison, Verdict } from "../compare/compare";
import { benchmarkKey } from "../compare/key";
import type { BenchmarkResult } from "../results/schema";
import { readinessLine, tierBadge } from "../thresholds/tiers";

// The rows every report shows: one per operation of a run, labelled scenario × target × profile,
// with the regression verdict when a comparison was made.

export interface MatrixRow {
  scenario: string;
  operation: string;
  target: string;
  targetKind: "local" | "remote";
  profile: string;
  completed: number;
  failed: number;
  /** 0–100. */
  successPct: number;
  rps: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  thresholdsPassed: boolean;
  failedThresholds: string[];
  /** The highest tier the operation's laddered limits met, with each limit's, e.g. "⚠️ acceptable (p95 ✅ target, p99 ⚠️ acceptable)". */
  tier: string | null;
  /** "no baseline" when nothing comparable came before. */
  verdict: Verdict | "no baseline";
  timestamp: string;
  runId: string;
}

export function matrixRows(results: readonly BenchmarkResult[], comparisons: readonly BenchmarkComparison[] = []): MatrixRow[] {
  const verdicts = new Map(comparisons.map((c) => [c.key, c]));
  return [...results]
    .sort((a, b) => a.scenario.localeCompare(b.scenario) || a.target.localeCompare(b.target) || a.profile.localeCompare(b.profile) || a.name.localeCompare(b.name))
    .map((r) => {
      const comparison = verdicts.get(benchmarkKey(r));
      return {
        scenario: r.scenario,
        operation: r.name,
        target: r.target,
        targetKind: r.targetKind,
        profile: r.profile,
        completed: r.iterations - r.errors,
        failed: r.errors,
        successPct: r.iterations > 0 ? ((r.iterations - r.errors) / r.iterations) * 100 : 0,
        rps: r.rps,
        p50: r.latency?.p50 ?? null,
        p95: r.latency?.p95 ?? null,
        p99: r.latency?.p99 ?? null,
        thresholdsPassed: r.thresholdsPassed,
        failedThresholds: r.thresholds.filter((t) => !t.ok).map((t) => `${t.metric} ${t.threshold}`),
        tier: r.tier ? `${tierBadge(r.tier)} (${(r.tiers ?? []).map((t) => `${t.limit} ${tierBadge(t.met).split(" ")[0]}`).join(", ")})` : null,
        verdict: !comparison || comparison.verdict === "skipped" ? "no baseline" : comparison.verdict,
        timestamp: r.timestamp,
        runId: r.runId,
      };
    });
}

export const fmtMs = (v: number | null): string => (v === null ? "—" : v < 10 ? v.toFixed(2) : v.toFixed(1));
export const fmtChange = (v: number | null, metric: string): string =>
  v === null ? "—" : metric === "errorRate" ? `${v >= 0 ? "+" : ""}${(v * 100).toFixed(2)} pp` : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)} %`;
export const fmtValue = (v: number | null, metric: string): string =>
  v === null ? "—" : metric === "errorRate" ? `${(v * 100).toFixed(2)} %` : metric.endsWith("MB") ? `${v.toFixed(1)} MB` : fmtMs(v);
export const fmtTest = (o: { test: { test: string; p?: number; note?: string } }): string =>
  o.test.test === "none" ? "" : `${o.test.test}${o.test.p !== undefined ? ` p=${o.test.p < 0.001 ? "<0.001" : o.test.p.toFixed(3)}` : ""}${o.test.note ? ` (${o.test.note})` : ""}`;

/** One line per run that has readiness tiers: "<scenario> (<run>): readiness: …". */
export function readinessLines(results: readonly BenchmarkResult[]): string[] {
  const seen = new Map<string, string>();
  for (const r of results) {
    const line = readinessLine(r.readiness);
    if (line && !seen.has(r.runId)) seen.set(r.runId, `${r.scenario} (${r.runId}): ${line}`);
  }
  return [...seen.values()];
}
