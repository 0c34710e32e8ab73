import { existsSync } from "node:fs";
import { targetOf } from "../cmds/script-env";
import { findScenarios } from "../build/catalog";
import { inputError } from "../errors";
import { readRawOutputs } from "../results/k6-output";
import { readK6Summary } from "../results/k6-summary";
import type { BenchmarkResult } from "../results/schema";
import { compileThresholds } from "../thresholds/compile";
import { loadThresholds } from "../thresholds/load";
import { DEFAULT_THRESHOLDS } from "../thresholds/schema";
import { judgeAndRecord } from "./judge-record";

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

export async function ingest(req: IngestRequest): Promise<{ results: BenchmarkResult[]; historyFile: string | null; problems: string[] }> {
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
  const name = entry?.name ?? req.scenario;
  return judgeAndRecord({
    raw,
    summaries,
    compiled,
    thresholds: file,
    meta: {
      scenario: name,
      profile,
      targetKind: target.kind,
      fallbackHost: target.baseDomain,
      startedAt,
      k6Version: req.k6Version,
      runId: `ingest-${startedAt.toISOString().replace(/[:.]/g, "-")}-${name.replace(/\//g, "-")}`,
      instances: req.rawOutputs.length,
    },
    resultsDir: req.resultsDir,
    writeResults: req.writeResults,
  });
}
