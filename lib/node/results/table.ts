import Table from "cli-table3";
import { checksByArea, type CheckCount } from "./k6-summary";
import type { BenchmarkResult } from "./schema";

// The console table printed after each run: operation | iterations | rps | p50 | p95 | p99 | errors | thresholds.

const ms = (value: number | undefined): string => (value === undefined ? "—" : value < 10 ? value.toFixed(2) : value.toFixed(1));

export function thresholdCell(result: BenchmarkResult): string {
  if (result.thresholds.length === 0) return "none";
  const failed = result.thresholds.filter((t) => !t.ok);
  if (failed.length === 0) return `ok (${result.thresholds.length})`;
  return `FAIL ${failed.map((t) => t.threshold).join(", ")}`;
}

export function resultsTable(results: readonly BenchmarkResult[]): string {
  const table = new Table({
    head: ["operation", "iterations", "rps", "p50 ms", "p95 ms", "p99 ms", "errors", "thresholds"],
    colAligns: ["left", "right", "right", "right", "right", "right", "right", "left"],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    const errors = r.errors === 0 ? "0" : `${r.errors} (${(r.errorRate * 100).toFixed(1)}%)`;
    table.push([r.name, String(r.iterations), r.rps.toFixed(1), ms(r.latency?.p50), ms(r.latency?.p95), ms(r.latency?.p99), errors, thresholdCell(r)]);
  }
  return table.toString();
}

/** Checks per area (the text before ":" in a check's name), then every failing check by name. */
export function checksTable(checks: readonly CheckCount[]): string {
  const table = new Table({ head: ["checks by area", "assertions", "passed", "failed"], colAligns: ["left", "right", "right", "right"], style: { head: [], border: [] } });
  for (const a of checksByArea(checks)) table.push([a.area, String(a.checks), String(a.passes), a.fails === 0 ? "0" : `${a.fails} FAIL`]);
  const failing = checks.filter((c) => c.fails > 0).map((c) => `  FAILED ${c.name} (${c.fails} of ${c.passes + c.fails})`);
  return [table.toString(), ...failing].join("\n");
}
