import { existsSync } from "node:fs";
import { targetOf } from "../cmds/script-env";
import { findScenarios } from "../build/catalog";
import { inputError } from "../errors";
import { appendResults } from "../history/append";
import { toBenchmarkResults } from "../results/convert";
import { readRawOutputs } from "../results/k6-output";
import { readK6Summary, thresholdOutcomes } from "../results/k6-summary";
import type { BenchmarkResult } from "../results/schema";
import { compileThresholds } from "../thresholds/compile";
import { closeVacuousThresholds, evaluateThresholds } from "../thresholds/evaluate";
import { loadThresholds } from "../thresholds/load";
import { applyReadiness, applyTiers } from "../thresholds/tiers";
import { DEFAULT_THRESHOLDS } from "../thresholds/schema";

// Results from k6 runs made elsewhere: the `--out json` files of k6-operator pods, or of several
// machines running one test with execution segments. Merged like `perfdo run --instances`: the union
// of every file's samples, thresholds judged on that union, one result line per operation.

export interface IngestRequest {
  root: string;
  scenario: string;
  rawOutputs: string[];
  summaries: string[];
  /** Where the load went: "local" or a base domain (decides target kind and colo reporting). */
  target: string;
  profile?: string;
  resultsDir: string;
  writeResults: boolean;
  k6Version: string;
  thresholdsDir?: string;
  env?: NodeJS.ProcessEnv;
}

export async function ingest(req: IngestRequest): Promise<{ results: BenchmarkResult[]; historyFile: string | null }> {
  if (req.rawOutputs.length === 0) throw inputError("name at least one k6 raw output file (--out json=…)");
  for (const file of [...req.rawOutputs, ...req.summaries]) if (!existsSync(file)) throw inputError(`${file}: no such file`);
  const [entry] = findScenarios(req.root, [req.scenario], req.thresholdsDir);
  const target = targetOf(req.target, req.env ?? process.env);
  const file = entry ? loadThresholds(entry.thresholds, req.root) : null;
  const compiled = compileThresholds(file ?? DEFAULT_THRESHOLDS);
  let raw;
  try {
    raw = await readRawOutputs(req.rawOutputs);
  } catch (err) {
    throw inputError((err as Error).message);
  }
  if (raw.operations.size === 0) throw inputError(`${req.rawOutputs.join(", ")}: no http_req_duration or perfdo_latency samples`);
  const summaries = req.summaries.map(readK6Summary);
  const startedAt = new Date(raw.firstSampleMs ?? Date.now());
  const profile = req.profile ?? [...raw.operations.values()].find((op) => op.tags.scenario)?.tags.scenario ?? "unknown";
  // One file with its own summary: k6 judged the whole run. Anything else is judged here, on the union.
  const single = req.rawOutputs.length === 1 && summaries.length === 1 ? summaries[0] : undefined;
  const { report } = closeVacuousThresholds(single ? thresholdOutcomes(single) : evaluateThresholds(compiled, raw), compiled, raw);
  const converted = toBenchmarkResults(
    raw,
    summaries,
    {
      scenario: entry?.name ?? req.scenario,
      profile,
      targetKind: target.kind,
      fallbackHost: target.baseDomain,
      startedAt,
      k6Version: req.k6Version,
      runId: `ingest-${startedAt.toISOString().replace(/[:.]/g, "-")}-${(entry?.name ?? req.scenario).replace(/\//g, "-")}`,
      instances: req.rawOutputs.length,
    },
    report,
  );
  const results = applyReadiness(applyTiers(converted, file), file);
  const historyFile = req.writeResults ? await appendResults(req.resultsDir, results, startedAt) : null;
  return { results, historyFile };
}
