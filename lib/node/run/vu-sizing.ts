import { spawnSync } from "node:child_process";
import { groupByRun, readHistory } from "../history/read";

// Sizing the open model's VU pool (Little's law, lib/k6/profile.ts sizeVUs) needs an iteration's
// expected duration. The history knows it: the newest comparable run's per-operation p99s, summed
// (an iteration makes each of its operations once). Interrupted runs are skipped. A run that
// dropped iterations understates its p99, but still shows its order of magnitude (a stall shows
// up), which the headroom then covers. The k6 script itself adds the ceiling from its thresholds,
// so plain `k6 run` sizes the pool too.

export interface ExpectedIteration {
  ms: number;
  /** Which run it came from, for the run header. */
  runId: string;
}

export function expectedIterationMs(resultsDir: string, scenario: string, targetKind: "local" | "remote"): ExpectedIteration | null {
  const runs = [...groupByRun(readHistory(resultsDir).results).values()].reverse();
  for (const lines of runs) {
    const first = lines[0];
    if (!first || first.scenario !== scenario || first.targetKind !== targetKind) continue;
    if (first.interrupted) continue;
    const ms = lines.reduce((sum, r) => sum + (r.latency?.p99 ?? 0), 0);
    if (ms > 0) return { ms: Math.round(ms * 100) / 100, runId: first.runId };
  }
  return null;
}

export interface VuPool {
  executor: string;
  preAllocated: number;
  max: number;
}

/**
 * The VU pool k6 will really use, read back with `k6 inspect` under the run's env: the scenario's
 * own defaults live in its script, so only k6 knows the final numbers. null for the closed model.
 */
export function inspectVuPool(k6: string, script: string, env: Record<string, string>): VuPool | null {
  const args = ["inspect", ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), script];
  const res = spawnSync(k6, args, { encoding: "utf8", timeout: 30_000 });
  if (res.status !== 0) return null;
  try {
    const options = JSON.parse(res.stdout) as { scenarios?: Record<string, { executor?: string; preAllocatedVUs?: number; maxVUs?: number }> };
    for (const s of Object.values(options.scenarios ?? {})) {
      if (s.preAllocatedVUs !== undefined && s.maxVUs !== undefined) return { executor: s.executor ?? "?", preAllocated: s.preAllocatedVUs, max: s.maxVUs };
    }
  } catch {
    return null;
  }
  return null;
}
