import { inputError } from "../errors";
import type { BenchmarkResult } from "../results/schema";
import { readRunSamples, type BaselineFile } from "./baseline";
import type { BaselineSet } from "./compare";
import { benchmarkKey } from "./key";

// Which runs are "current", and what they are compared against. History is in file order, which
// is append order; runs are told apart by runId.

function runsInOrder(history: readonly BenchmarkResult[]): string[] {
  return [...new Set(history.map((r) => r.runId))];
}

/** The named runs, or else the newest run of every scenario in history. */
export function selectCurrent(history: readonly BenchmarkResult[], runIds?: readonly string[]): BenchmarkResult[] {
  if (runIds && runIds.length > 0) {
    const known = new Set(history.map((r) => r.runId));
    const missing = runIds.filter((id) => !known.has(id));
    if (missing.length > 0) throw inputError(`run ${missing[0]} is not in the history`);
    return history.filter((r) => runIds.includes(r.runId));
  }
  const newest = new Map<string, string>();
  for (const r of history) newest.set(r.scenario, r.runId); // later lines win: append order
  const chosen = new Set(newest.values());
  return history.filter((r) => chosen.has(r.runId));
}

/** Samples of the given runs (their build/runs sidecars), merged per benchmark; missing runs are skipped. */
export function samplesOf(runsDir: string, lines: readonly BenchmarkResult[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const byRun = new Map<string, BenchmarkResult[]>();
  for (const r of lines) byRun.set(r.runId, [...(byRun.get(r.runId) ?? []), r]);
  for (const [runId, runLines] of byRun) {
    const samples = readRunSamples(runsDir, runId, runLines);
    if (!samples) continue;
    for (const [key, list] of samples) out.set(key, [...(out.get(key) ?? []), ...list]);
  }
  return out;
}

/**
 * The last `n` earlier runs of each current benchmark (same name, target, kind and profile).
 * Rank tests use their samples only when every one of those runs still has its sidecar.
 */
export function historyBaseline(history: readonly BenchmarkResult[], current: readonly BenchmarkResult[], n: number, runsDir: string): BaselineSet {
  const currentRuns = new Set(current.map((r) => r.runId));
  const order = runsInOrder(history);
  const results: BenchmarkResult[] = [];
  const samples = new Map<string, number[]>();
  for (const cur of current) {
    const key = benchmarkKey(cur);
    const cutoff = order.indexOf(cur.runId);
    const earlier = history.filter((r) => benchmarkKey(r) === key && !currentRuns.has(r.runId) && order.indexOf(r.runId) < cutoff);
    const runIds = [...new Set(earlier.map((r) => r.runId))].slice(-n);
    const chosen = earlier.filter((r) => runIds.includes(r.runId));
    results.push(...chosen);
    const runSamples = samplesOf(runsDir, chosen);
    const all = runIds.every((id) => samplesOf(runsDir, chosen.filter((r) => r.runId === id)).has(key));
    if (all && runSamples.has(key)) samples.set(key, runSamples.get(key) as number[]);
  }
  return { results, samples };
}

export function fileBaseline(file: BaselineFile): BaselineSet {
  return { results: file.results, samples: new Map(Object.entries(file.samples)) };
}
