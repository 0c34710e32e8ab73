import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildAll } from "../../../esbuild.config.mjs";
import { buildProfile, isProfileName, PROFILE_NAMES, type ProfileName, type ProfileOverrides } from "../../k6/profile";
import { resolveTarget, splitList, type Target } from "../../k6/target";
import { findScenarios, type ScenarioEntry } from "../build/catalog";
import { EXIT, PerfdoError, inputError } from "../errors";
import { ensureK6, type K6 } from "../k6/provision";
import { K6_THRESHOLDS_FAILED, runK6 } from "../k6/run";
import { toBenchmarkResults } from "../results/convert";
import { appendResults } from "../history/append";
import { readRawOutput } from "../results/k6-output";
import { readK6Summary } from "../results/k6-summary";
import type { BenchmarkResult } from "../results/schema";
import { startLocalTarget, type LocalTarget } from "../target/local";

export interface RunRequest {
  root: string;
  scenarios: string[];
  profile?: string;
  overrides: ProfileOverrides;
  /** "local", "local=127.0.0.1:PORT" (an already running Worker) or a base domain. */
  target: string;
  resultsDir: string;
  /** Replaces thresholds/ for this run. */
  thresholdsDir?: string;
  writeResults: boolean;
  quiet: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface ScenarioRun {
  scenario: string;
  k6ExitCode: number;
  results: BenchmarkResult[];
  historyFile: string | null;
  thresholdsBreached: boolean;
  artifacts: { rawOutput: string; summaryExport: string };
}

export interface RunReport {
  runs: ScenarioRun[];
  k6: K6;
  target: Target;
}

function gitCommit(root: string): string | undefined {
  const res = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, encoding: "utf8" });
  if (res.status !== 0) return undefined;
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" });
  return `${res.stdout.trim()}${dirty.stdout.trim() ? "-dirty" : ""}`;
}

/** Everything that can be wrong with the request is found here, before any k6 starts. */
export function validateRequest(req: RunRequest): { entries: ScenarioEntry[]; target: Target; profile?: ProfileName } {
  if (req.scenarios.length === 0) throw inputError("name at least one scenario to run");
  const entries = findScenarios(req.root, req.scenarios, req.thresholdsDir);
  let target: Target;
  try {
    target = resolveTarget(req.target, { allowedDomains: splitList((req.env ?? process.env).PERFDO_ALLOWED_DOMAINS) });
  } catch (err) {
    throw inputError((err as Error).message);
  }
  if (req.profile !== undefined && !isProfileName(req.profile)) {
    throw inputError(`unknown profile "${req.profile}" (one of ${PROFILE_NAMES.join(", ")})`);
  }
  try {
    buildProfile(req.profile ?? "sustain", req.overrides);
  } catch (err) {
    throw inputError(`profile: ${(err as Error).message}`);
  }
  return { entries, target, profile: req.profile };
}

function profileEnv(profile: ProfileName | undefined, o: ProfileOverrides): Record<string, string> {
  const env: Record<string, string> = {};
  if (profile) env.PERFDO_PROFILE = profile;
  if (o.rate !== undefined) env.PERFDO_RATE = String(o.rate);
  if (o.peakRate !== undefined) env.PERFDO_PEAK_RATE = String(o.peakRate);
  if (o.duration !== undefined) env.PERFDO_DURATION = o.duration;
  if (o.vus !== undefined) env.PERFDO_VUS = String(o.vus);
  if (o.maxVUs !== undefined) env.PERFDO_MAX_VUS = String(o.maxVUs);
  if (o.iterations !== undefined) env.PERFDO_ITERATIONS = String(o.iterations);
  return env;
}

export async function runScenarios(req: RunRequest): Promise<RunReport> {
  const log = req.log ?? ((line: string) => console.error(line));
  const { entries, target, profile } = validateRequest(req);
  try {
    await buildAll({ root: req.root, names: entries.map((e) => e.name), thresholdsDir: req.thresholdsDir });
  } catch (err) {
    if (err instanceof PerfdoError) throw err;
    throw inputError(`build: ${(err as Error).message.split("\n")[0]}`);
  }
  const k6 = ensureK6(req.root, req.env ?? process.env, log);

  let local: LocalTarget | null = null;
  const runs: ScenarioRun[] = [];
  try {
    let address = target.address;
    if (target.kind === "local" && req.target.trim() === "local") {
      local = await startLocalTarget(join(req.root, "build", "deploy", "worker.mjs"));
      address = local.address;
      log(`perfdo: local perf.do Worker (workerd) on ${address}`);
    }
    const commit = gitCommit(req.root);
    for (const entry of entries) {
      const startedAt = new Date();
      const runId = `${startedAt.toISOString().replace(/[:.]/g, "-")}-${entry.name.replace(/\//g, "-")}`;
      const dir = join(req.root, "build", "runs", runId);
      mkdirSync(dir, { recursive: true });
      const artifacts = { rawOutput: join(dir, "raw.json.gz"), summaryExport: join(dir, "summary.json") };
      const env: Record<string, string> = {
        ...profileEnv(profile, req.overrides),
        PERFDO_TARGET: target.kind === "local" ? "local" : target.baseDomain,
      };
      if (address) env.PERFDO_LOCAL_ADDRESS = address;
      const allowed = (req.env ?? process.env).PERFDO_ALLOWED_DOMAINS;
      if (allowed) env.PERFDO_ALLOWED_DOMAINS = allowed;

      log(`perfdo: k6 run ${entry.name} (${profile ?? "scenario default"} profile) → ${target.kind === "local" ? `local ${address}` : target.baseDomain}`);
      const code = await runK6({ bin: k6.bin, script: entry.script, env, ...artifacts, quiet: req.quiet });
      if (code !== 0 && code !== K6_THRESHOLDS_FAILED) {
        throw new PerfdoError(`k6 run ${entry.name} failed with exit code ${code}; no results written (k6 output above; artifacts in ${dir})`, EXIT.runFailed);
      }
      const summary = readK6Summary(artifacts.summaryExport);
      const raw = await readRawOutput(artifacts.rawOutput);
      const results = toBenchmarkResults(raw, summary, {
        scenario: entry.name,
        profile: profileTag(raw) ?? profile ?? "unknown",
        targetKind: target.kind,
        fallbackHost: target.baseDomain,
        startedAt,
        k6Version: k6.version,
        gitCommit: commit,
        runId,
      });
      const historyFile = req.writeResults ? await appendResults(req.resultsDir, results, startedAt) : null;
      runs.push({
        scenario: entry.name,
        k6ExitCode: code,
        results,
        historyFile,
        thresholdsBreached: code === K6_THRESHOLDS_FAILED || results.some((r) => !r.thresholdsPassed),
        artifacts,
      });
    }
  } finally {
    await local?.stop();
  }
  return { runs, k6, target };
}

/** The profile a run used is the k6 scenario's name, which every sample carries as its `scenario` tag. */
function profileTag(raw: Awaited<ReturnType<typeof readRawOutput>>): string | undefined {
  for (const op of raw.operations.values()) if (op.tags.scenario) return op.tags.scenario;
  return undefined;
}
