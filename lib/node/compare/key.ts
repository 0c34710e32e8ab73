import type { BenchmarkResult } from "../results/schema";

/**
 * What makes two results comparable: same operation, host, kind of target, load profile and load
 * zone; and a rehearsal is compared only with rehearsals (it measured this machine, not the target).
 */
export function benchmarkKey(r: Pick<BenchmarkResult, "name" | "target" | "targetKind" | "profile" | "loadZone"> & { provenance?: { rehearsal: boolean } }): string {
  return `${r.name} @ ${r.target} (${r.targetKind}${r.provenance?.rehearsal ? " rehearsal" : ""}, ${r.profile}${r.loadZone ? `, ${r.loadZone}` : ""})`;
}
