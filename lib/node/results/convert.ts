import { BenchmarkResultSchema, type BenchmarkResult, type ProcessResources } from "./schema";
import type { RawRun, OperationSamples } from "./k6-output";
import { scenarioOfMetric, testRunSeconds, thresholdOutcomes, type K6Summary, type ThresholdReport } from "./k6-summary";
import { isSaturated } from "../run/saturation";
import { correctionOf } from "./omission";
import { scenarioOf } from "./raw-run";
import { provenanceOf, type ProvenanceInput } from "./provenance";

// k6 output → one BenchmarkResult per measured operation. Pure: readers hand it parsed inputs.

export interface RunContext {
  scenario: string;
  profile: string;
  targetKind: "local" | "remote";
  /** A plain HTTP API, not perf.do: no colo is recorded (a perf.do target's local colo is "local"). */
  plain?: boolean;
  /** Used when an operation's samples carry no host tag. */
  fallbackHost: string;
  startedAt: Date;
  k6Version: string;
  /** What the recording command knows of where the numbers came from; the capture adds the rest (provenance.ts). */
  provenance?: Omit<ProvenanceInput, "raw" | "targetKind" | "k6Version">;
  runId: string;
  /** k6 instances whose samples this run merges (execution segments); 1 for a plain run. */
  instances?: number;
  /** The open model's VU pool as run (from `k6 inspect`), and what sized it. */
  vus?: { preAllocated: number; max: number; sizedBy: string };
  interrupted?: boolean;
  stoppedBy?: BenchmarkResult["stoppedBy"];
  resources?: Partial<Record<"k6" | "workerd", ProcessResources>>;
  /** CPU k6 could use (% of one core): with `resources`, whether the generator was saturated. */
  generatorCapacityPct?: number;
  sweep?: { id: string; kind: "rate" | "vus"; level: number };
}

/** The capture's tick accounting as a line records it: counts, and time behind as shares of wall time. */
function ticksOf(raw: RawRun): BenchmarkResult["generatorTicks"] {
  const t = raw.ticks;
  if (!t) return undefined;
  const out: NonNullable<BenchmarkResult["generatorTicks"]> = { count: t.count, late: t.late, maxLagMs: t.maxLagMs };
  const round = (x: number) => Math.min(1, Math.round(x * 10_000) / 10_000);
  if (t.behindMs !== undefined && t.wallMs) out.behindShare = round(t.behindMs / t.wallMs);
  if (t.worstWindow !== undefined) out.worstWindowShare = round(t.worstWindow);
  return out;
}

function optionalInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

function mostFrequent(counts: Record<string, number>): string | undefined {
  let best: string | undefined;
  for (const [key, n] of Object.entries(counts)) if (best === undefined || n > (counts[best] ?? 0)) best = key;
  return best;
}

function runSeconds(raw: RawRun, summaries: readonly K6Summary[]): number {
  const fromSummary = summaries.length > 0 ? Math.max(0, ...summaries.map((s) => testRunSeconds(s) ?? 0)) : null;
  if (fromSummary && fromSummary > 0) return fromSummary;
  if (raw.firstSampleMs !== null && raw.lastSampleMs !== null && raw.lastSampleMs > raw.firstSampleMs) {
    return (raw.lastSampleMs - raw.firstSampleMs) / 1000;
  }
  return 1; // a single sample: report it over one second rather than divide by zero
}

/**
 * `summaries`: one per k6 process (several for a merged run, whose duration is the longest).
 * `thresholds`: the outcomes to record; by default k6's own, from a single run's summary.
 */
export function toBenchmarkResults(
  raw: RawRun,
  summaries: K6Summary | readonly K6Summary[] | null,
  ctx: RunContext,
  thresholds?: ThresholdReport,
): BenchmarkResult[] {
  const list = summaries === null ? [] : Array.isArray(summaries) ? (summaries as readonly K6Summary[]) : [summaries as K6Summary];
  const durationSec = runSeconds(raw, list);
  const outcomes: ThresholdReport = thresholds ?? (list.length === 1 ? thresholdOutcomes(list[0] as K6Summary) : { byOperation: new Map(), scenarioWide: [] });
  const ops = [...raw.operations.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.tags.load_zone ?? "").localeCompare(b.tags.load_zone ?? ""));
  const load = {
    droppedIterations: raw.droppedIterations,
    offeredRate: (raw.iterations + raw.droppedIterations) / durationSec,
    achievedRate: raw.iterations / durationSec,
  };
  const given = ctx.provenance ?? { target: ctx.targetKind === "local" ? "local" : ctx.fallbackHost, recordedBy: "run" as const };
  const provenance = provenanceOf({ ...given, raw, targetKind: ctx.targetKind, k6Version: ctx.k6Version });
  const generatorTicks = ticksOf(raw);
  return ops.map((op: OperationSamples) => {
    // A request sent twice (the keep-alive race, lib/k6/client.ts) is one operation: its first
    // attempt's failure is not an error of the operation, and the line counts the retry.
    const failures = Math.max(0, op.failures - op.retries);
    const iterations = op.latency.count + failures;
    const own = outcomes.byOperation.get(op.name) ?? [];
    // A threshold filtered to one k6 scenario (`http_req_duration{scenario:browse}`) judges that scenario's lines only.
    const judges = (t: { metric: string }): boolean => {
      const only = raw.perScenario ? scenarioOfMetric(t.metric) : undefined;
      return only === undefined || only === scenarioOf(op.tags);
    };
    const applied = [...own, ...outcomes.scenarioWide.filter(judges)];
    const colos = Object.keys(op.colos).length > 0 ? op.colos : undefined;
    const result: BenchmarkResult = {
      schemaVersion: 2,
      name: op.name,
      scenario: ctx.scenario,
      timestamp: ctx.startedAt.toISOString(),
      target: op.host ?? raw.hosts.get(op.name) ?? ctx.fallbackHost,
      targetKind: ctx.targetKind,
      iterations,
      latency: op.latency.stats(),
      errors: failures,
      errorRate: iterations > 0 ? failures / iterations : 0,
      rps: iterations / durationSec,
      durationSec,
      ...load,
      // A script of the user's own: each line's profile is its k6 scenario (setup/teardown for those).
      profile: raw.perScenario ? scenarioOf(op.tags) : ctx.profile,
      thresholds: applied,
      thresholdsPassed: applied.every((t) => t.ok),
      k6Version: ctx.k6Version,
      provenance,
      runId: ctx.runId,
    };
    if (op.retries > 0) result.retries = op.retries;
    if (result.latency) {
      const correction = correctionOf({ ...raw, openModel: raw.openModel || ctx.vus !== undefined }, op);
      const stats = correction.applies ? correction.latency.stats() : null;
      if (!correction.applies) result.corrected = { applies: false, reason: correction.reason };
      else if (stats) {
        result.corrected = { model: "omission", target: correction.target, p50: stats.p50, p95: stats.p95, p99: stats.p99, max: stats.max, mean: stats.mean, omitted: correction.omitted };
        if (correction.bounds) result.corrected.bounds = correction.bounds;
      }
    }
    if (op.tags.cold_start === "true") result.coldStart = true;
    const datasetSize = optionalInt(op.tags.dataset_size);
    if (datasetSize !== undefined) result.datasetSize = datasetSize;
    const shardCount = optionalInt(op.tags.shard_count);
    if (shardCount !== undefined) result.shardCount = shardCount;
    if (op.tags.colo) result.colo = op.tags.colo;
    if (op.tags.load_zone) result.loadZone = op.tags.load_zone;
    // A plain API has no colo (its client reads no cf-ray, so `colos` is empty there too).
    if (ctx.targetKind === "local" && !ctx.plain) result.coloServed = "local";
    else if (colos) {
      result.coloServed = mostFrequent(colos);
      result.colosServed = colos;
    }
    if (Object.keys(op.overloads).length > 0) result.overloads = op.overloads as BenchmarkResult["overloads"];
    if (ctx.instances && ctx.instances > 1) result.instances = ctx.instances;
    if (ctx.vus) result.vus = ctx.vus;
    if (ctx.interrupted) result.interrupted = true;
    if (ctx.interrupted && ctx.stoppedBy) result.stoppedBy = ctx.stoppedBy;
    if (ctx.sweep) result.sweep = ctx.sweep;
    if (ctx.resources && Object.keys(ctx.resources).length > 0) result.resources = ctx.resources as BenchmarkResult["resources"];
    if (generatorTicks) result.generatorTicks = generatorTicks;
    if (isSaturated(ctx.resources?.k6, ctx.generatorCapacityPct, generatorTicks)) result.generatorSaturated = true;
    return BenchmarkResultSchema.parse(result);
  });
}
