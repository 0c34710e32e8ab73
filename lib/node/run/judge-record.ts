import type { RawRun } from "../results/k6-output";
import { toBenchmarkResults } from "../results/convert";
import { thresholdOutcomes, type K6Summary } from "../results/k6-summary";
import type { BenchmarkResult } from "../results/schema";
import { appendResults } from "../history/append";
import type { K6Thresholds } from "../thresholds/compile";
import { closeVacuousThresholds, evaluateThresholds } from "../thresholds/evaluate";
import type { ThresholdsFile } from "../thresholds/schema";
import { applyReadiness, applyTiers, tierWarnings } from "../thresholds/tiers";

// The one pipeline from a run's samples to history: judge its thresholds (k6's own verdict when a
// single k6 saw the whole run, else ours on the union of every process's samples), close what k6
// passed vacuously, convert to BenchmarkResult lines, add tiers and readiness, append them whole.
// `perfdo run` (one k6 or --instances), `perfdo ingest`, and the k8s and cloud rehearsals (through
// ingest) all come here, so they judge and record alike.

type ConvertMeta = Parameters<typeof toBenchmarkResults>[2];

export interface JudgeAndRecord {
  raw: RawRun;
  summaries: K6Summary[];
  compiled: K6Thresholds;
  /** The scenario's thresholds file (null: the default gate), for tiers and readiness. */
  thresholds: ThresholdsFile | null;
  meta: ConvertMeta;
  resultsDir: string;
  writeResults: boolean;
}

export async function judgeAndRecord(req: JudgeAndRecord): Promise<{ results: BenchmarkResult[]; historyFile: string | null; problems: string[] }> {
  // The open model's VU pool is known only for arrival-rate runs: corrected latency applies to them.
  req.raw.openModel ||= req.meta.vus !== undefined;
  const single = req.summaries.length === 1 && (req.meta.instances ?? 1) === 1 ? req.summaries[0] : undefined;
  const k6Report = single ? thresholdOutcomes(single) : evaluateThresholds(req.compiled, req.raw);
  const { report, problems } = closeVacuousThresholds(k6Report, req.compiled, req.raw);
  const converted = toBenchmarkResults(req.raw, req.summaries, req.meta, report);
  const results = applyReadiness(applyTiers(converted, req.thresholds), req.thresholds);
  const startedAt = req.meta.startedAt;
  const historyFile = req.writeResults && results.length > 0 ? await appendResults(req.resultsDir, results, startedAt) : null;
  return { results, historyFile, problems: [...problems, ...tierWarnings(req.thresholds)] };
}
