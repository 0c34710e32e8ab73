import { join } from "node:path";
import { readHistory } from "../history/read";
import type { BenchmarkResult } from "../results/schema";
import { baselinePath, loadBaseline } from "./baseline";
import { compareResults, type BenchmarkComparison } from "./compare";
import { loadRegressionRules, type RegressionRules } from "./rules";
import { fileBaseline, historyBaseline, samplesOf, selectCurrent } from "./select";

// Gathers what a judgement needs from disk: history, the current runs, their baseline, the rules.

export interface JudgeRequest {
  root: string;
  resultsDir: string;
  runIds?: string[];
  /** A saved baseline's name (results/baselines/<name>.json) or path; else the history is the baseline. */
  baseline?: string;
  /** Runs of history to compare against (default: the rules file's `history`). */
  last?: number;
  rulesPath?: string;
  /** Every run in history is "current" (for reports over the whole history). */
  all?: boolean;
  /** Count interrupted runs (stopped by SIGINT/SIGTERM) too; by default they are neither judged nor a baseline. */
  includeInterrupted?: boolean;
}

export interface Judgement {
  history: BenchmarkResult[];
  current: BenchmarkResult[];
  comparisons: BenchmarkComparison[];
  rules: RegressionRules;
  /** `file:line: reason` for every history line that failed validation (skipped). */
  problems: string[];
  baselineSource: string;
}

export function runsDir(root: string): string {
  return join(root, "build", "runs");
}

export function judge(req: JudgeRequest): Judgement {
  const rules = loadRegressionRules(req.rulesPath ?? join(req.root, "thresholds", "regression.json"), req.root);
  const { results: all, problems } = readHistory(req.resultsDir);
  // An interrupted run measured only part of its load: it is no baseline, and judged only when named.
  const history = req.includeInterrupted ? all : all.filter((r) => !r.interrupted || req.runIds?.includes(r.runId));
  const current = req.all ? history : selectCurrent(history, req.runIds);
  const currentSamples = samplesOf(runsDir(req.root), current);
  let comparisons: BenchmarkComparison[];
  let baselineSource: string;
  if (req.baseline) {
    const path = baselinePath(req.resultsDir, req.baseline);
    const file = loadBaseline(path);
    comparisons = compareResults(current, currentSamples, fileBaseline(file), rules);
    baselineSource = `baseline "${file.name}" (${file.runIds.length} run(s), saved ${file.createdAt})`;
  } else {
    const n = req.last ?? rules.history;
    comparisons = compareResults(current, currentSamples, historyBaseline(history, current, n, runsDir(req.root)), rules);
    baselineSource = `the last ${n} comparable run(s) in history`;
  }
  return { history, current, comparisons, rules, problems, baselineSource };
}
