import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

// build/runs/<runId>/ keeps each run's k6 raw output (large: a 30-minute soak is hundreds of MB even
// gzipped), its summary export, and samples.json (small; comparisons need it). Raw outputs and
// summaries are kept for the newest `keep` runs only; samples.json is kept for every run.

export const DEFAULT_KEEP_RAW_RUNS = 20;

export function pruneRunArtifacts(runsDir: string, keep: number): string[] {
  if (!existsSync(runsDir)) return [];
  // Run ids start with an ISO timestamp, so name order is time order.
  const runs = readdirSync(runsDir).sort();
  const pruned: string[] = [];
  for (const run of runs.slice(0, Math.max(0, runs.length - keep))) {
    for (const file of readdirSync(join(runsDir, run))) {
      if (/^(raw(-\d+)?\.(json|perfdo)(\.gz)?|summary(-\d+)?\.json)$/.test(file)) {
        rmSync(join(runsDir, run, file), { force: true });
        pruned.push(join(run, file));
      }
    }
  }
  return pruned;
}
