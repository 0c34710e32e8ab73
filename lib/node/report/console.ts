import Table from "cli-table3";
import type { BenchmarkComparison } from "../compare/compare";
import { fmtChange, fmtMs, fmtTest, fmtValue, type MatrixRow } from "./matrix";

const plain = { head: [], border: [] };

export function consoleMatrix(rows: readonly MatrixRow[]): string {
  const table = new Table({
    head: ["scenario / operation", "target", "profile", "completed", "failed", "success", "rps", "p50 ms", "p95 ms", "p99 ms", "thresholds", "verdict"],
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
      r.thresholdsPassed ? "ok" : "FAIL",
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
