import Table from "cli-table3";
import type { ChangePoint } from "../compare/change-points";
import type { BenchmarkComparison } from "../compare/compare";
import { fmtChange, fmtMs, fmtTest, fmtValue, type MatrixRow } from "./matrix";

const plain = { head: [], border: [] };

export function consoleMatrix(rows: readonly MatrixRow[]): string {
  const table = new Table({
    head: ["scenario / operation", "target", "profile", "completed", "failed", "success", "rps", "p50 ms", "p95 ms", "p99 ms", "own thresholds", "vs history"],
    colAligns: ["left", "left", "left", "right", "right", "right", "right", "right", "right", "right", "left", "left"],
    style: plain,
  });
  for (const r of rows) {
    table.push([
      `${r.scenario} / ${r.operation}`,
      `${r.target}${r.targetKind === "local" ? " (local)" : ""}`,
      r.profile,
      String(r.completed),
      String(r.failed),
      `${r.successPct.toFixed(1)} %`,
      r.rps.toFixed(1),
      fmtMs(r.p50),
      fmtMs(r.p95),
      fmtMs(r.p99),
      `${r.thresholdsPassed ? "ok" : "FAIL"}${r.tier ? ` · ${r.tier}` : ""}`,
      r.verdict,
    ]);
  }
  return table.toString();
}

export function consoleComparison(comparisons: readonly BenchmarkComparison[]): string {
  const table = new Table({
    head: ["benchmark", "metric", "baseline", "current", "change", "significance", "verdict"],
    colAligns: ["left", "left", "right", "right", "right", "left", "left"],
    style: plain,
  });
  for (const c of comparisons) {
    if (c.outcomes.length === 0) {
      table.push([c.key, "—", "—", "—", "—", "no earlier comparable run", "skipped"]);
      continue;
    }
    for (const o of c.outcomes) {
      table.push([c.key, o.metric, fmtValue(o.baseline, o.metric), fmtValue(o.current, o.metric), fmtChange(o.change, o.metric), fmtTest(o) + (o.note ? ` ${o.note}` : ""), o.verdict]);
    }
  }
  return table.toString();
}

/** Where benchmarks' p95 shifted over the history (E-divisive means), one row per shift. */
export function consoleChangePoints(points: readonly ChangePoint[]): string {
  if (points.length === 0) return "change points: none (no significant shift of p95 in any benchmark's history)";
  const table = new Table({ head: ["benchmark", "first run at new level", "commit", "p95 before ms", "p95 after ms", "shift", "p"], style: plain });
  for (const c of points) {
    table.push([c.key, `${c.runId} (${c.timestamp.slice(0, 16).replace("T", " ")})`, c.gitCommit ?? "—", fmtMs(c.before), fmtMs(c.after), `${c.shiftPct >= 0 ? "+" : ""}${c.shiftPct.toFixed(1)} %`, c.pValue.toFixed(3)]);
  }
  return `change points (E-divisive means on p95):\n${table.toString()}`;
}
