import Table from "cli-table3";
import type { BenchmarkResult } from "../results/schema";

// `perfdo sweep`: one row per load level, and the search for the highest rate that still meets the
// limits (the "stress to failure" of a performance plan). Pure: the command runs the levels.

/** One level's row: the scenario's requests summed over its operations; latency of its slowest operation. */
export interface LevelRow {
  level: number;
  completed: number;
  failed: number;
  successRate: number;
  offeredRate: number;
  achievedRate: number;
  droppedIterations: number;
  /** p50/p95/p99 of the operation with the highest p95 at this level (ms), and its name. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  slowest: string | null;
  k6CpuMean?: number;
  k6RssPeakMB?: number;
  workerdCpuMean?: number;
}

export function levelRow(level: number, results: readonly BenchmarkResult[]): LevelRow {
  const requests = results.reduce((s, r) => s + r.iterations, 0);
  const failed = results.reduce((s, r) => s + r.errors, 0);
  const first = results[0];
  const slowest = results.filter((r) => r.latency).sort((a, b) => (b.latency?.p95 ?? 0) - (a.latency?.p95 ?? 0))[0];
  const row: LevelRow = {
    level,
    completed: requests - failed,
    failed,
    successRate: requests > 0 ? (requests - failed) / requests : 0,
    offeredRate: first?.offeredRate ?? 0,
    achievedRate: first?.achievedRate ?? 0,
    droppedIterations: first?.droppedIterations ?? 0,
    p50: slowest?.latency?.p50 ?? null,
    p95: slowest?.latency?.p95 ?? null,
    p99: slowest?.latency?.p99 ?? null,
    slowest: slowest?.name ?? null,
  };
  const res = first?.resources;
  if (res?.k6) [row.k6CpuMean, row.k6RssPeakMB] = [res.k6.cpuMean, res.k6.rssPeakMB];
  if (res?.workerd) row.workerdCpuMean = res.workerd.cpuMean;
  return row;
}

export interface Limits {
  p95Ms: number;
  maxErrorRate: number;
}

/** Why a level fails the limits, or null when it meets them. Dropped iterations fail it: the rate was not really offered. */
export function failsLimits(row: LevelRow, limits: Limits): string | null {
  if (row.completed + row.failed === 0) return "no requests completed";
  if (1 - row.successRate > limits.maxErrorRate) return `error rate ${((1 - row.successRate) * 100).toFixed(2)} % > ${(limits.maxErrorRate * 100).toFixed(2)} %`;
  if (row.p95 === null || row.p95 > limits.p95Ms) return `p95 ${row.p95 === null ? "—" : row.p95.toFixed(1)} ms (${row.slowest}) > ${limits.p95Ms} ms`;
  if (row.droppedIterations > 0) return `${row.droppedIterations} iterations dropped (the load generator could not offer the rate)`;
  return null;
}

/**
 * The next rate to try when searching for the limit, or null when the search is done. Steps up by
 * doubling from the start until a level fails (or `maxRate` is reached), then bisects between the
 * highest passing and the lowest failing rate until they are within `resolution` (a fraction).
 */
export function nextRate(tried: ReadonlyArray<{ rate: number; ok: boolean }>, start: number, maxRate: number, resolution = 0.1): number | null {
  if (tried.length === 0) return Math.min(start, maxRate);
  const passes = tried.filter((t) => t.ok).map((t) => t.rate);
  const fails = tried.filter((t) => !t.ok).map((t) => t.rate);
  const best = passes.length > 0 ? Math.max(...passes) : null;
  const worst = fails.length > 0 ? Math.min(...fails) : null;
  if (worst === null) {
    // Still stepping up.
    if (best === null || best >= maxRate) return null;
    return Math.min(best * 2, maxRate);
  }
  if (best === null) {
    // The very first level failed: halve down to find any passing rate, but not forever.
    const low = Math.min(...fails);
    return low / 2 >= 1 ? Math.floor(low / 2) : null;
  }
  if (worst - best <= Math.max(1, best * resolution)) return null;
  const mid = Math.round((best + worst) / 2);
  return mid > best && mid < worst ? mid : null;
}

/** The sweep's matrix, one row per level, as the console prints it. */
export function sweepTable(kind: "rate" | "vus", rows: readonly LevelRow[], verdicts: ReadonlyMap<number, string | null> = new Map()): string {
  const head = [kind === "rate" ? "it/s" : "VUs", "completed", "failed", "success", "offered it/s", "achieved it/s", "dropped", "p50 ms", "p95 ms", "p99 ms", "slowest op", "k6 CPU", "workerd CPU"];
  if (verdicts.size > 0) head.push("limits");
  const table = new Table({ head, style: { head: [], border: [] } });
  const f = (x: number | null | undefined, d = 1): string => (x === null || x === undefined ? "—" : x.toFixed(d));
  for (const r of rows) {
    const line = [
      String(r.level), String(r.completed), String(r.failed), `${(r.successRate * 100).toFixed(2)}%`, f(r.offeredRate), f(r.achievedRate),
      String(r.droppedIterations), f(r.p50, 2), f(r.p95, 2), f(r.p99, 2), r.slowest ?? "—",
      r.k6CpuMean === undefined ? "—" : `${Math.round(r.k6CpuMean)}%`, r.workerdCpuMean === undefined ? "—" : `${Math.round(r.workerdCpuMean)}%`,
    ];
    if (verdicts.size > 0) {
      const v = verdicts.get(r.level);
      line.push(v === undefined ? "" : v === null ? "met" : `FAIL ${v}`);
    }
    table.push(line);
  }
  return table.toString();
}
