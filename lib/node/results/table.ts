import Table from "cli-table3";
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
