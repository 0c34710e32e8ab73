import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildAll, buildWorker } from "../../../esbuild.config.mjs";
import { buildProfile, isProfileName, PROFILE_NAMES, type ProfileName, type ProfileOverrides } from "../../k6/profile";
import { resolveHosts, type Target } from "../../k6/target";
import { scriptEnv, targetOf } from "../cmds/script-env";
import { findScenarios, type ScenarioEntry } from "../build/catalog";
import { EXIT, PerfdoError, inputError } from "../errors";
import { ensureK6, type K6 } from "../k6/provision";
import { iterationCeilingMs } from "../../k6/profile";
import { K6_KILLED, K6_THRESHOLDS_FAILED, startK6, type K6Process } from "../k6/run";
import { awaitSegments, equalSegments, segmentFlags } from "../k6/segments";
import type { K6Thresholds } from "../thresholds/compile";
import { loadThresholds } from "../thresholds/load";
import { readRawOutputs, type RawRun } from "../results/k6-output";
import { checkCounts, checksByArea, readK6Summary, type CheckCount, type K6Summary } from "../results/k6-summary";
import type { BenchmarkResult } from "../results/schema";
import { startLocalTarget, type LocalTarget } from "../target/local";
import { DEFAULT_KEEP_RAW_RUNS, pruneRunArtifacts } from "./prune";
import { childrenNamed, sampleResources } from "./resources";
import { generatorCapacityPct } from "./saturation";
import { expectedIterationMs, inspectVuPool } from "./vu-sizing";
import { judgeAndRecord } from "./judge-record";
import { gitState, thisMachine, type HarnessWord } from "../results/provenance";
import { buildOwnScript, checkPassthrough, inspectScenarios, isOpenModel, isOwnScript, nonLoopbackRanges, ownScriptEntry, removeBundle } from "./own-script";
import { targetUrl } from "../../k6/target";

export interface RunRequest {
  root: string;
  scenarios: string[];
  profile?: string;
  overrides: ProfileOverrides;
  /** "local", "local=127.0.0.1:PORT" (an already running Worker) or a base domain. */
  target: string;
  /** `<domain>=<loopback host:port>`: the remote target's domain served from loopback (curl's --resolve). */
  resolve?: string;
  resultsDir: string;
  /** Replaces thresholds/ for this run. */
  thresholdsDir?: string;
  writeResults: boolean;
  quiet: boolean;
  /** k6 processes per scenario, each running one execution segment; results are merged. Default 1. */
  instances?: number;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Also write k6's JSON output beside the perfdo one (`raw.json.gz`), as fixtures:capture does. */
  alsoJsonOutput?: boolean;
  /** The user's own k6 flags (after `--`), passed to every k6 of the run after the harness's own. */
  k6Args?: readonly string[];
  /** Set by SIGINT/SIGTERM handlers: k6 is stopped gracefully and what it measured is kept. */
  interrupt?: Interrupt;
  /** This run is one level of a sweep (perfdo sweep): recorded on its lines for the run report. */
  sweep?: { id: string; kind: "rate" | "vus"; level: number };
}

/**
 * A run's stop button. `perfdo run` presses it on SIGINT or SIGTERM: every k6 of the run gets one
 * SIGINT (its graceful stop), the samples so far become results marked `interrupted`, no further
 * scenario starts, and only then is the local Worker stopped.
 */
export class Interrupt {
  signal: NodeJS.Signals | null = null;
  private readonly live = new Set<K6Process>();

  press(signal: NodeJS.Signals): void {
    this.signal ??= signal;
    for (const k6 of this.live) k6.interrupt();
  }

  track(k6: K6Process): void {
    this.live.add(k6);
    if (this.signal) k6.interrupt();
    void k6.exited.finally(() => this.live.delete(k6)).catch(() => undefined);
  }
}

export interface ScenarioRun {
  scenario: string;
  k6ExitCode: number;
  results: BenchmarkResult[];
  historyFile: string | null;
  thresholdsBreached: boolean;
  /** k6 used at least 80 % of the CPU it could use (lib/node/run/saturation.ts). */
  generatorSaturated: boolean;
  /** k6's own count of every check (name: passes/fails), over all instances. */
  checks: CheckCount[];
  /** One raw output and summary export per k6 instance, plus the sample sidecar for comparisons. */
  artifacts: { rawOutputs: string[]; summaryExports: string[]; samples: string; dir: string };
  /** Iterations the arrival rate asked for and k6 could not start (coordinated omission), and of how many. */
  droppedIterations: number;
  offeredIterations: number;
  /** Warnings about the run's judgement, e.g. a threshold on an operation that never ran. */
  problems: string[];
  interrupted: boolean;
}

export interface RunReport {
  runs: ScenarioRun[];
  k6: K6;
  target: Target;
}

/** Everything that can be wrong with the request is found here, before any k6 starts. */
export function validateRequest(req: RunRequest): { entries: ScenarioEntry[]; target: Target; profile?: ProfileName } {
  if (req.scenarios.length === 0) throw inputError("name at least one scenario to run");
  const instances = req.instances ?? 1;
  if (!Number.isInteger(instances) || instances < 1 || instances > 16) throw inputError(`instances must be a whole number from 1 to 16, got ${instances}`);
  // A path to a script file of the user's own runs as that script; any other input names a catalog scenario.
  const catalog = findScenarios(req.root, req.scenarios.filter((s) => !isOwnScript(req.root, s)), req.thresholdsDir);
  const entries = req.scenarios.map((s) => (isOwnScript(req.root, s) ? ownScriptEntry(s) : (catalog.shift() as ScenarioEntry)));
  checkPassthrough(req.k6Args ?? []);
  if (instances > 1 && entries.some((e) => e.own)) {
    // Its thresholds are k6's own, judged by the one k6 that saw the whole run; split into segments,
    // no process would see them whole.
    throw inputError(`--instances applies to catalog scenarios; a script of your own runs as one k6 process (its thresholds are k6's verdict over the whole run)`);
  }
  const target = targetOf(req.target, req.env ?? process.env);
  try {
    if (req.resolve !== undefined) resolveHosts(target, req.resolve);
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

export async function runScenarios(req: RunRequest): Promise<RunReport> {
  const log = req.log ?? ((line: string) => console.error(line));
  const { entries, target, profile } = validateRequest(req);
  let compiled = new Map<string, K6Thresholds>();
  const started = target.kind === "local" && req.target.trim() === "local";
  const catalogNames = entries.filter((e) => !e.own).map((e) => e.name);
  try {
    if (catalogNames.length > 0) {
      const built = await buildAll({ root: req.root, names: catalogNames, thresholdsDir: req.thresholdsDir });
      compiled = new Map(built.scenarios.map((s) => [s.name, s.compiled]));
    } else if (started) await buildWorker(req.root);
  } catch (err) {
    if (err instanceof PerfdoError) throw err;
    throw inputError(`build: ${(err as Error).message.split("\n")[0]}`);
  }
  const profileFlags = Object.keys(req.overrides);
  if (entries.some((e) => e.own) && (req.profile !== undefined || profileFlags.length > 0)) {
    log(`perfdo: --profile and ${profileFlags.length > 0 ? profileFlags.join(", ") : "its overrides"} apply to catalog scenarios; a script of your own takes k6's flags after -- (e.g. -- --vus 10 --duration 30s)`);
  }
  const k6 = ensureK6(req.root, req.env ?? process.env, log);
  if (!k6.perfdoOutput) log(`perfdo: ${k6.bin} (${k6.source}) has no perfdo output extension: raw capture uses k6's JSON output, which costs k6 about half its throughput under load`);

  let local: LocalTarget | null = null;
  const runs: ScenarioRun[] = [];
  try {
    for (const entry of entries) if (entry.own) await buildOwnScript(entry); // removed below, whatever happens
    let address = target.address;
    if (started) {
      // perfdo's own SIGINT/SIGTERM handling stops k6 first and saves its samples (Interrupt).
      local = await startLocalTarget(join(req.root, "build", "deploy", "worker.mjs"), { ownSignals: req.interrupt !== undefined });
      address = local.address;
      log(`perfdo: local perf.do Worker (workerd) on ${address}`);
    }
    const git = gitState(req.root);
    // The harness's word on the run, for the capture's P line (tools/k6/output/provenance.go).
    const word: HarnessWord = { ...git, target: req.target.trim(), ...(req.resolve ? { resolve: req.resolve } : {}) };
    const env = { ...scriptEnv({ profile, overrides: req.overrides, target, localAddress: address, resolve: req.resolve }, req.env ?? process.env), PERFDO_PROVENANCE: JSON.stringify(word) };
    const commit = git;
    for (const entry of entries) {
      if (req.interrupt?.signal) break; // interrupted: no further scenario starts
      const worker = local;
      runs.push(await runScenario(req, { entry, env, k6, target, commit, profile, compiled: compiled.get(entry.name) ?? {}, log, workerd: started, targetAlive: worker ? () => processAlive(worker.pid) : undefined }));
    }
  } finally {
    for (const entry of entries) if (entry.own) removeBundle(entry);
    await local?.stop();
    const keep = Number((req.env ?? process.env).PERFDO_KEEP_RAW_RUNS ?? DEFAULT_KEEP_RAW_RUNS);
    pruneRunArtifacts(join(req.root, "build", "runs"), Number.isInteger(keep) && keep >= 0 ? keep : DEFAULT_KEEP_RAW_RUNS);
  }
  return { runs, k6, target };
}

interface ScenarioJob {
  entry: ScenarioEntry;
  env: Record<string, string>;
  k6: K6;
  target: Target;
  commit: { gitCommit: string; gitDirty: boolean | null };
  profile: ProfileName | undefined;
  compiled: K6Thresholds;
  log: (line: string) => void;
  /** The local Worker runs inside this process (miniflare's workerd child): sample it too. */
  workerd: boolean;
  /** Whether the local Worker still runs (watched during the run: a Worker gone stops k6 gracefully). */
  targetAlive?: () => boolean;
}

/** Whether a process of ours is still there (signal 0 asks without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Writes a bounded sample of each operation's durations, for rank tests in later comparisons. */
function writeSamples(path: string, raw: RawRun): void {
  const samples = Object.fromEntries([...raw.operations.values()].map((op) => [op.name, op.latency.samples()]));
  writeFileSync(path, JSON.stringify({ samples }));
}

async function runScenario(req: RunRequest, job: ScenarioJob): Promise<ScenarioRun> {
  const { entry, k6, target, log } = job;
  const instances = req.instances ?? 1;
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, "-")}-${entry.name.replace(/\//g, "-")}`;
  const dir = join(req.root, "build", "runs", runId);
  mkdirSync(dir, { recursive: true });
  const segments = instances > 1 ? equalSegments(instances) : [null];
  const artifacts = {
    // The perfdo output extension when this k6 has it: k6's JSON output costs over half of k6's
    // throughput under load (npm run bench:overhead). Plain text, not gzip: cheaper for k6's CPU.
    rawOutputs: segments.map((_, i) => join(dir, `raw${instances > 1 ? `-${i}` : ""}.${k6.perfdoOutput ? "perfdo" : "json.gz"}`)),
    summaryExports: segments.map((_, i) => join(dir, instances > 1 ? `summary-${i}.json` : "summary.json")),
    samples: join(dir, "samples.json"),
    dir,
  };
  const where = job.env.PERFDO_TARGET === "local" ? `local ${job.env.PERFDO_LOCAL_ADDRESS}` : target.plain ? targetUrl(target) : target.baseDomain;
  log(`perfdo: k6 run ${entry.name} (${job.profile ?? "scenario default"} profile${instances > 1 ? `, ${instances} instances` : ""}) → ${where}`);

  // The open model's VU pool: from the flags if given, else Little's law on the history's iteration p99.
  // A script of the user's own sizes its own; k6 says which of its scenarios are arrival-rate.
  const byFlags = req.overrides.vus !== undefined || req.overrides.maxVUs !== undefined;
  const expected = byFlags || entry.own ? null : expectedIterationMs(req.resultsDir, entry.name, target.kind);
  // A script of the user's own takes the target as k6 scripts usually do: BASE_URL (theirs wins, after `--`).
  const env = entry.own ? { ...job.env, BASE_URL: targetUrl(target) } : expected ? { ...job.env, PERFDO_ITERATION_MS: String(expected.ms) } : job.env;
  const own = entry.own ? inspectScenarios(k6.bin, entry.script, env, req.k6Args) : null;
  if (own && own.length > 0) log(`perfdo: ${entry.name}: k6 scenarios ${own.map((s) => `${s.name} (${s.executor})`).join(", ")}`);
  const pool = entry.own ? null : inspectVuPool(k6.bin, entry.script, env);
  let vus: { preAllocated: number; max: number; sizedBy: string } | undefined;
  if (pool) {
    const ceiling = iterationCeilingMs(job.compiled);
    const sizedBy = byFlags
      ? "flags"
      : [expected ? `history: iteration p99 ${expected.ms} ms` : null, ceiling ? `thresholds: iteration ceiling ${ceiling} ms` : null]
          .filter((x) => x !== null)
          .join(", ") || "profile defaults";
    vus = { preAllocated: pool.preAllocated, max: pool.max, sizedBy };
    log(`perfdo: ${pool.executor}: ${pool.preAllocated} VUs pre-allocated, ${pool.max} max (sized by ${sizedBy})`);
  }

  const processes = segments.map((seg, i) =>
    startK6({
      bin: k6.bin,
      script: entry.script,
      env,
      rawOutput: artifacts.rawOutputs[i] as string,
      summaryExport: artifacts.summaryExports[i] as string,
      jsonOutput: req.alsoJsonOutput && k6.perfdoOutput ? join(dir, `raw${instances > 1 ? `-${i}` : ""}.json.gz`) : undefined,
      quiet: req.quiet || i > 0, // one instance's progress is enough on screen
      extraArgs: [...(seg ? segmentFlags(seg) : []), ...(entry.own && target.kind === "local" ? [`--blacklist-ip=${nonLoopbackRanges().join(",")}`] : [])],
      passthrough: req.k6Args,
      allSystemTags: entry.own,
    }),
  );
  for (const p of processes) req.interrupt?.track(p);
  const sampler = sampleResources(() => ({
    k6: processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined),
    ...(job.workerd ? { workerd: childrenNamed(process.pid, "workerd") } : {}),
  }));
  // The local Worker gone mid-run: every request after that fails against nothing, so k6 gets its
  // graceful stop at once (it ends within its gracefulStop, not at the schedule's end).
  let targetStopped = false;
  const watch = job.targetAlive
    ? setInterval(() => {
        if (targetStopped || (job.targetAlive as () => boolean)()) return;
        targetStopped = true;
        log(`perfdo: ${entry.name}: the local Worker stopped mid-run; k6 is stopped gracefully and what it measured until then is kept, marked`);
        for (const p of processes) p.interrupt();
      }, 250)
    : null;
  let codes: number[];
  let failedCodes: number[];
  let resources;
  try {
    ({ codes, failed: failedCodes } = await awaitSegments(processes));
  } finally {
    if (watch) clearInterval(watch);
    resources = sampler.stop();
  }
  // k6 killed from outside (SIGKILL, the OOM killer): its capture is read for what it holds, every
  // sample up to the output's last checkpoint (a second at most before the kill), without k6's totals.
  const killed = req.interrupt?.signal == null && !targetStopped && failedCodes.includes(K6_KILLED);
  const stoppedBy: BenchmarkResult["stoppedBy"] = req.interrupt?.signal === "SIGTERM" ? "SIGTERM" : req.interrupt?.signal ? "SIGINT" : targetStopped ? "target stopped" : killed ? "k6 killed" : undefined;
  const interrupted = stoppedBy !== undefined;
  const failed = failedCodes[0];
  if (failed !== undefined && !interrupted) {
    throw new PerfdoError(`k6 run ${entry.name} failed with exit code ${failed}; no results written (k6 output above; artifacts in ${dir})`, EXIT.runFailed);
  }
  let summaries: K6Summary[];
  let raw;
  try {
    // An interrupted k6 may not have written its summary; the raw output is what counts.
    summaries = artifacts.summaryExports.filter((f) => !interrupted || existsSync(f)).map(readK6Summary);
    raw = await readRawOutputs(artifacts.rawOutputs, { perScenario: entry.own, cutShort: killed });
    if (own) raw.openScenarios = own.filter((s) => isOpenModel(s.executor)).map((s) => s.name);
  } catch (err) {
    if (!interrupted) throw err;
    throw new PerfdoError(`k6 run ${entry.name} was ${stoppedBy === "k6 killed" ? "killed" : "interrupted"} before its output was complete (${(err as Error).message}); no results written`, EXIT.runFailed);
  }
  writeSamples(artifacts.samples, raw);
  const { results, historyFile, problems } = await judgeAndRecord({
    raw,
    summaries,
    compiled: job.compiled,
    thresholds: entry.own ? null : loadThresholds(entry.thresholds, req.root),
    meta: {
      scenario: entry.name,
      profile: profileTag(raw) ?? job.profile ?? "unknown",
      targetKind: target.kind,
      ...(target.plain ? { plain: true } : {}),
      fallbackHost: entry.own ? targetUrl(target).replace(/^https?:\/\//, "") : target.baseDomain,
      startedAt,
      k6Version: k6.version,
      provenance: { ...job.commit, target: req.target.trim(), resolve: req.resolve, recordedBy: "run", generator: thisMachine() },
      runId,
      instances,
      vus,
      interrupted,
      stoppedBy,
      resources,
      generatorCapacityPct: generatorCapacityPct(process.env, instances),
      sweep: req.sweep,
    },
    resultsDir: req.resultsDir,
    writeResults: req.writeResults,
  });
  if (killed || targetStopped) {
    const what = killed ? "k6 was killed from outside" : "the local Worker stopped mid-run";
    throw new PerfdoError(`k6 run ${entry.name}: ${what}; what it measured until then is ${historyFile ? `in ${relative(process.cwd(), historyFile) || historyFile}` : "in its artifacts"}, marked interrupted (stoppedBy: ${stoppedBy})`, EXIT.runFailed);
  }
  const checks = checkCounts(summaries);
  // The run's checks as data beside its raw output (what the console's "checks by area" table shows),
  // for scripts and tests that would otherwise read the table's drawing.
  writeFileSync(join(dir, "checks.json"), `${JSON.stringify({ scenario: entry.name, runId, areas: checksByArea(checks), checks }, null, 1)}\n`);
  log(`perfdo: ${entry.name}: artifacts in ${relative(process.cwd(), dir) || "."}`);
  return {
    scenario: entry.name,
    k6ExitCode: codes.includes(K6_THRESHOLDS_FAILED) ? K6_THRESHOLDS_FAILED : 0,
    results,
    historyFile,
    thresholdsBreached: results.some((r) => !r.thresholdsPassed) || (instances === 1 && codes[0] === K6_THRESHOLDS_FAILED),
    generatorSaturated: results.some((r) => r.generatorSaturated === true),
    checks,
    artifacts,
    droppedIterations: raw.droppedIterations,
    offeredIterations: raw.iterations + raw.droppedIterations,
    problems,
    interrupted,
  };
}

/** The profile a run used is the k6 scenario's name, which every sample carries as its `scenario` tag. */
function profileTag(raw: RawRun): string | undefined {
  for (const op of raw.operations.values()) if (op.tags.scenario) return op.tags.scenario;
  return undefined;
}
