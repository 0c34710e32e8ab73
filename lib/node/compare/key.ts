import type { BenchmarkResult } from "../results/schema";

/** What makes two results comparable: same operation, host, kind of target, load profile and load zone. */
export function benchmarkKey(r: Pick<BenchmarkResult, "name" | "target" | "targetKind" | "profile" | "loadZone">): string {
  return `${r.name} @ ${r.target} (${r.targetKind}, ${r.profile}${r.loadZone ? `, ${r.loadZone}` : ""})`;
}
