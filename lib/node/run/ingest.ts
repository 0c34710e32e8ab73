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
import { harnessWord, hostOf, isLoopbackIp } from "../results/provenance";
import type { RawRun } from "../results/raw-run";

// Results from k6 runs made elsewhere: the `--out json` files of k6-operator pods, or of several
// machines running one test with execution segments. Merged like `perfdo run --instances`: the union
// of every file's samples, thresholds judged on that union, one result line per operation.

export interface IngestRequest {
  root: string;
  scenario: string;
  rawOutputs: string[];
  summaries: string[];
  /**
   * Where the load went: "local" or a base domain (decides target kind and colo reporting). When not
   * given: what the capture's provenance says, else "local" when every address it reached was
   * loopback; otherwise the caller must say (targetFromCapture).
   */
  target?: string;
  /** The command recording it (provenance.recordedBy), and why it is a rehearsal when it is one. */
  recordedBy?: "ingest" | "k8s collect" | "k8s rehearse" | "cloud rehearse";
  rehearsal?: string;
  profile?: string;
  resultsDir: string;
  writeResults: boolean;
  k6Version: string;
  thresholdsDir?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Where a capture's load went, from the capture alone: the target its harness recorded (P line), else
 * "local" when it reached only loopback addresses. Never a remote default: a capture that says
 * nothing is refused with the flag to give.
 */
export function targetFromCapture(raw: RawRun, files: readonly string[]): string {
  const said = harnessWord(raw).target;
  if (said) return said;
  const addresses = [...raw.addresses];
  if (addresses.length > 0 && addresses.every((a) => isLoopbackIp(hostOf(a)))) return "local";
  throw inputError(`${files.join(", ")}: the capture does not say where its load went (no provenance line, ${addresses.length > 0 ? `reached ${addresses.join(", ")}` : "no address recorded"}): give --target local or --target <base domain>`);
}

export async function ingest(req: IngestRequest): Promise<{ results: BenchmarkResult[]; historyFile: string | null; problems: string[] }> {
  if (req.rawOutputs.length === 0) throw inputError("name at least one k6 raw output file (--out json=…)");
  for (const file of [...req.rawOutputs, ...req.summaries]) if (!existsSync(file)) throw inputError(`${file}: no such file`);
  const [entry] = findScenarios(req.root, [req.scenario], req.thresholdsDir);
  const file = entry ? loadThresholds(entry.thresholds, req.root) : null;
  const compiled = compileThresholds(file ?? DEFAULT_THRESHOLDS);
  let raw;
  try {
    raw = await readRawOutputs(req.rawOutputs);
  } catch (err) {
    throw inputError((err as Error).message);
  }
  if (raw.operations.size === 0) throw inputError(`${req.rawOutputs.join(", ")}: no http_req_duration or perfdo_latency samples`);
  const given = req.target ?? targetFromCapture(raw, req.rawOutputs);
  const target = targetOf(given, req.env ?? process.env);
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
      provenance: { target: given.trim(), recordedBy: req.recordedBy ?? "ingest", ...(req.rehearsal ? { rehearsal: req.rehearsal } : {}) },
      runId: `ingest-${startedAt.toISOString().replace(/[:.]/g, "-")}-${name.replace(/\//g, "-")}`,
      instances: req.rawOutputs.length,
    },
    resultsDir: req.resultsDir,
    writeResults: req.writeResults,
  });
}
