import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

// build/runs/<runId>/ keeps each run's k6 raw output (large: a 30-minute soak is hundreds of MB even
// gzipped), its summary export, and samples.json (small; comparisons need it). Raw outputs and
// summaries are kept for the newest `keep` runs only; samples.json is kept for every run. A run
// younger than YOUNG_MS is never pruned: another perfdo on the machine (a test, a report about to be
// written from that capture) may still be reading it while this one finishes many runs at once.

export const DEFAULT_KEEP_RAW_RUNS = 20;
const YOUNG_MS = 15 * 60_000;

export function pruneRunArtifacts(runsDir: string, keep: number): string[] {
  if (!existsSync(runsDir)) return [];
  // Run ids start with an ISO timestamp, so name order is time order.
  const runs = readdirSync(runsDir).sort();
  const pruned: string[] = [];
  const now = Date.now();
  for (const run of runs.slice(0, Math.max(0, runs.length - keep))) {
    if (now - statSync(join(runsDir, run)).mtimeMs < YOUNG_MS) continue;
    for (const file of readdirSync(join(runsDir, run))) {
      if (/^(raw(-\d+)?\.(json|perfdo)(\.gz)?|summary(-\d+)?\.json)$/.test(file)) {
        rmSync(join(runsDir, run, file), { force: true });
        pruned.push(join(run, file));
      }
    }
  }
  return pruned;
}
