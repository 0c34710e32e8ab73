import type { BenchmarkResult } from "../results/schema";

// github-action-benchmark's `customSmallerIsBetter` input: [{ name, unit, value, range?, extra? }].
// One entry per operation and percentile, so its charts and alerts track each separately.

export interface CustomBenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

export function githubBenchmarkEntries(results: readonly BenchmarkResult[]): CustomBenchmarkEntry[] {
  return results.flatMap((r) => {
    if (!r.latency) return [];
    const where = r.targetKind === "local" ? `${r.target} local` : r.target;
    const extra = `${r.iterations} requests, ${r.rps.toFixed(1)} rps, ${(r.errorRate * 100).toFixed(2)} % errors, profile ${r.profile}, run ${r.runId}`;
    return (["p50", "p95", "p99"] as const).map((stat) => ({
      name: `${r.scenario} ${r.name} ${stat} (${where})`,
      unit: "ms",
      value: Number((r.latency as NonNullable<BenchmarkResult["latency"]>)[stat].toFixed(4)),
      range: `± ${(r.latency as NonNullable<BenchmarkResult["latency"]>).stddev.toFixed(4)}`,
      extra,
    }));
  });
}
