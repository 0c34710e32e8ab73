import type { ChangePoint } from "../compare/change-points";
import type { BenchmarkComparison } from "../compare/compare";
import { fmtChange, fmtMs, fmtTest, fmtValue, type MatrixRow } from "./matrix";

// Markdown fit for $GITHUB_STEP_SUMMARY: the matrix, then every rule that did not simply pass.

const cell = (s: string): string => s.replace(/\|/g, "\\|");

export function markdownReport(rows: readonly MatrixRow[], comparisons: readonly BenchmarkComparison[] = [], changes: readonly ChangePoint[] = [], readiness: readonly string[] = [], claims = ""): string {
  const out: string[] = ["## perf.do benchmarks", ""];
  out.push("| scenario / operation | target | profile | completed | failed | success | rps | p50 ms | p95 ms | p99 ms | own thresholds | vs history |");
  out.push("|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|");
  for (const r of rows) {
    out.push(
      `| ${cell(`${r.scenario} / ${r.operation}`)} | ${cell(r.target)}${r.targetKind === "local" ? " (local)" : ""} | ${r.profile} | ${r.completed} | ${r.failed} | ${r.successPct.toFixed(1)} % | ${r.rps.toFixed(1)} | ${fmtMs(r.p50)} | ${fmtMs(r.p95)} | ${fmtMs(r.p99)} | ${r.thresholdsPassed ? "ok" : `**FAIL** ${cell(r.failedThresholds.join(", "))}`}${r.tier ? ` · ${cell(r.tier)}` : ""} | ${r.verdict === "fail" || r.verdict === "warn" ? `**${r.verdict}**` : r.verdict} |`,
    );
  }
  if (claims) out.push("", claims.replace(/^## /, "### "));
  if (readiness.length > 0) out.push("", "### Readiness", "", ...readiness.map((l) => `- ${cell(l)}`));
  const notable = comparisons.flatMap((c) => c.outcomes.filter((o) => o.verdict !== "pass").map((o) => ({ c, o })));
  if (notable.length > 0) {
    out.push("", "### Changes against the baseline", "", "| benchmark | metric | baseline | current | change | significance | verdict |", "|---|---|--:|--:|--:|---|---|");
    for (const { c, o } of notable) {
      out.push(`| ${cell(c.key)} | ${o.metric} | ${fmtValue(o.baseline, o.metric)} | ${fmtValue(o.current, o.metric)} | ${fmtChange(o.change, o.metric)} | ${cell(fmtTest(o))} | ${o.verdict} |`);
    }
  }
  if (changes.length > 0) {
    out.push("", "### Change points in history (p95, E-divisive means)", "", "| benchmark | first run at new level | commit | p95 before | p95 after | shift | p |", "|---|---|---|--:|--:|--:|--:|");
    for (const c of changes) {
      out.push(`| ${cell(c.key)} | ${c.runId} (${c.timestamp.slice(0, 16).replace("T", " ")}) | ${c.gitCommit ?? "—"} | ${fmtMs(c.before)} | ${fmtMs(c.after)} | ${c.shiftPct >= 0 ? "+" : ""}${c.shiftPct.toFixed(1)} % | ${c.pValue.toFixed(3)} |`);
    }
  }
  return `${out.join("\n")}\n`;
}
