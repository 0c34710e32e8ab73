import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EXIT, PerfdoError } from "../errors";
import { groupByRun, readHistory } from "../history/read";
import type { BenchmarkResult } from "../results/schema";
import { runReportHtml, sweepKnee, type SweepContext } from "./run-report";
import { captureFiles, readRunTimeline } from "./run-timeline";

// Finds what a run report is made of: the run's capture (build/runs/<runId>/), its lines and, for
// a level of a sweep, every level's lines (history).

export const runsDir = (root: string): string => join(root, "build", "runs");

function sweepContext(lines: readonly BenchmarkResult[], history: readonly BenchmarkResult[]): SweepContext | null {
  const sweep = lines[0]?.sweep;
  if (!sweep) return null;
  const members = history.filter((r) => r.sweep?.id === sweep.id);
  const limit = members.find((r) => r.name.endsWith(".max-rate"));
  const byRun = [...groupByRun(members.filter((r) => !r.name.endsWith(".max-rate"))).values()];
  const levels = byRun.map((run) => {
    const slowest = [...run].sort((a, b) => (b.latency?.p95 ?? 0) - (a.latency?.p95 ?? 0))[0] as BenchmarkResult;
    return {
      level: slowest.sweep?.level ?? 0,
      runId: slowest.runId,
      achievedRps: run.reduce((n, r) => n + r.rps, 0),
      p50: slowest.latency?.p50 ?? null,
      p95: slowest.latency?.p95 ?? null,
      p99: slowest.latency?.p99 ?? null,
    };
  });
  const knee = limit ? limit.rps : sweepKnee(byRun.map((run) => ({ level: run[0]?.sweep?.level ?? 0, lines: run })));
  const kneeRule = limit
    ? "the highest rate --find-limit found within its limits"
    : "the highest level whose slowest p95 stayed within twice the lowest level's, with no dropped iteration and under 1 % errors";
  return { id: sweep.id, kind: sweep.kind, levels, knee, kneeRule };
}

/** The HTML report of one run, from its capture; exit 2 when the capture is gone. */
export async function runReport(root: string, resultsDir: string, runId: string, history?: readonly BenchmarkResult[]): Promise<string> {
  const files = captureFiles(join(runsDir(root), runId));
  if (files.length === 0) {
    throw new PerfdoError(
      `run ${runId}: no raw capture in build/runs/${runId}/ (the newest 20 runs keep theirs, PERFDO_KEEP_RAW_RUNS; a stock k6 writes no perfdo capture)`,
      EXIT.usage,
    );
  }
  const all = history ?? readHistory(resultsDir).results;
  const lines = all.filter((r) => r.runId === runId);
  const timeline = await readRunTimeline(runId, files);
  return runReportHtml(timeline, lines, sweepContext(lines, all));
}

/**
 * The run reports a trend report links to: one per run of `runIds` whose capture is still kept,
 * written to `<out without .html>-runs/<runId>.html`. Returns runId → link relative to `out`.
 */
export async function writeLinkedRunReports(root: string, history: readonly BenchmarkResult[], runIds: Iterable<string>, out: string): Promise<Map<string, string>> {
  const folder = `${basename(out).replace(/\.html?$/, "")}-runs`;
  const links = new Map<string, string>();
  for (const runId of new Set(runIds)) {
    if (captureFiles(join(runsDir(root), runId)).length === 0) continue;
    const html = await runReport(root, "", runId, history);
    mkdirSync(join(dirname(out), folder), { recursive: true });
    writeFileSync(join(dirname(out), folder, `${runId}.html`), html);
    links.set(runId, `${folder}/${encodeURIComponent(runId)}.html`);
  }
  return links;
}
