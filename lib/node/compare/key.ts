import type { BenchmarkResult } from "../results/schema";

/** What makes two results comparable: same operation, host, kind of target and load profile. */
export function benchmarkKey(r: Pick<BenchmarkResult, "name" | "target" | "targetKind" | "profile">): string {
  return `${r.name} @ ${r.target} (${r.targetKind}, ${r.profile})`;
}
