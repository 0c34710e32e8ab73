import { median } from "simple-statistics";
import { groupByRun } from "../history/read";
import { isDeploymentEvidence } from "../results/provenance";
import type { BenchmarkResult } from "../results/schema";
import type { Claim, Ledger } from "./ledger";

// Each claim judged from evidence, not from one run. The runs that can stand behind a claim:
//   - never an interrupted run, one whose generator was saturated (its numbers are k6's as much as the
//     target's), or a rehearsal (a k8s or cloud rehearsal, a domain answered from loopback);
//   - for a claim about a deployment (`notLocal`), only runs that reached real addresses, none of them
//     loopback or private (results/provenance.ts isDeploymentEvidence);
//   - deployment runs before local ones: a newer local run never hides an older remote one.
// Of those, the newest MAX_RUNS give the claim's value (their median) and spread (range). A verdict
// (holds, better, worse) needs MIN_RUNS runs; fewer is "indicative", saying which way it leans.

export type Verdict = "holds" | "better" | "worse" | "indicative" | "not measured" | "not measurable here";
export type Direction = "holds" | "better" | "worse";

/** Runs a verdict needs: one run is not a verdict. */
export const MIN_RUNS = 3;
/** The newest runs a claim is judged by, so that the verdict is about the present. */
export const MAX_RUNS = 10;

/** One run behind a claim, with where its numbers came from. */
export interface EvidenceRun {
  runId: string;
  timestamp: string;
  targetKind: "local" | "remote";
  target: string;
  value: number;
  gitCommit: string;
  gitDirty: boolean | null;
  k6: string;
  /** The load's machines, e.g. "linux 2 cores AMD EPYC". */
  generators: string[];
  addresses: string[];
}

export interface ClaimRow {
  id: string;
  claim: string;
  expected: string;
  /** Where the claim is published. */
  source: string;
  /** The median of the runs' values, in the claim's unit; null when no qualifying run measured it. */
  measured: number | null;
  verdict: Verdict;
  /** Which way the value leans: the verdict's direction, also for an indicative one. */
  direction: Direction | null;
  /** Why (not measured / not measurable here / indicative), or what the value is. */
  note: string;
  /** Qualifying runs behind the value (at most MAX_RUNS), newest first. */
  runs: number;
  spread: { median: number; min: number; max: number } | null;
  evidence: "deployment" | "local" | null;
  /** What a local verdict stands on (the ledger's localModel), when the evidence is local. */
  localModel: string | null;
  /** Runs that measured the claim but do not count, by why. */
  excluded: { interrupted: number; saturated: number; rehearsal: number; notDeployment: number };
  evidenceRuns: EvidenceRun[];
  /** The one command that reproduces the evidence (the ledger's run for that kind of target). */
  reproduce: string | null;
  /** The newest run behind the value. */
  runId: string | null;
  targetKind: "local" | "remote" | null;
  timestamp: string | null;
}

export const expectedText = (c: Claim): string => {
  const { min, max, unit } = c.expected;
  if (min !== undefined && max !== undefined) return `${min}–${max} ${unit}`;
  return min !== undefined ? `${min.toLocaleString("en-US")}+ ${unit}` : `≤ ${max} ${unit}`;
};

const statOf = (r: BenchmarkResult, stat: Claim["measure"]["statistic"]): number | null => {
  if (stat === "rps") return r.rps;
  if (stat === "held") return r.iterations - r.errors;
  return r.latency ? r.latency[stat] : null;
};

/** The claim's value in one run's lines, or null when the run lacks the operation (or its `minus`). */
function valueIn(c: Claim, lines: readonly BenchmarkResult[]): number | null {
  const of = (op: string) => lines.find((r) => r.scenario === c.measure.scenario && r.name === op);
  const main = of(c.measure.operation);
  const v = main ? statOf(main, c.measure.statistic) : null;
  if (v === null || !c.measure.minus) return v;
  const base = of(c.measure.minus);
  const b = base ? statOf(base, c.measure.statistic) : null;
  return b === null ? null : Math.max(0, v - b);
}

export function verdictOf(c: Claim, value: number): Direction {
  const { min, max } = c.expected;
  const below = min !== undefined && value < min;
  const above = max !== undefined && value > max;
  if (!below && !above) return "holds";
  if (c.better === "lower") return below ? "better" : "worse";
  return above ? "better" : "worse";
}

const generatorText = (g: BenchmarkResult["provenance"]["generators"][number]): string =>
  `${g.os} ${g.cores} cores${g.cpuModel ? ` ${g.cpuModel}` : ""}${g.loadZone ? ` @ ${g.loadZone}` : ""}${g.pod ? ` (pod ${g.pod})` : ""}`;

function evidenceRun(lines: readonly BenchmarkResult[], value: number): EvidenceRun {
  const first = lines[0] as BenchmarkResult;
  const p = first.provenance;
  return {
    runId: first.runId,
    timestamp: first.timestamp,
    targetKind: first.targetKind,
    target: p.target,
    value,
    gitCommit: p.gitCommit,
    gitDirty: p.gitDirty,
    k6: `${p.k6Version} (${p.k6Build})`,
    generators: [...new Set(p.generators.map(generatorText))],
    addresses: p.addresses,
  };
}

const commandOf = (spec: Claim["run"]["local"], target: string | null): string | null => {
  if (!spec) return null;
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
  return `${env}npx perfdo ${spec.args.join(" ")}${target ? ` --target ${target}` : ""}`;
};

/** Every claim of the ledger, judged by the qualifying runs in `history` that measured it. */
export function judgeClaims(ledger: Ledger, history: readonly BenchmarkResult[]): ClaimRow[] {
  const newestFirst = [...groupByRun(history).values()].sort((a, b) => Date.parse((b[0] as BenchmarkResult).timestamp) - Date.parse((a[0] as BenchmarkResult).timestamp));
  return ledger.claims.map((c): ClaimRow => {
    const excluded = { interrupted: 0, saturated: 0, rehearsal: 0, notDeployment: 0 };
    const deployment: EvidenceRun[] = [];
    const local: EvidenceRun[] = [];
    for (const lines of newestFirst) {
      const value = valueIn(c, lines);
      if (value === null) continue;
      const first = lines[0] as BenchmarkResult;
      if (lines.some((l) => l.interrupted)) excluded.interrupted++;
      else if (lines.some((l) => l.generatorSaturated)) excluded.saturated++;
      else if (first.provenance.rehearsal) excluded.rehearsal++;
      else if (lines.every((l) => isDeploymentEvidence(l.provenance, l.targetKind))) deployment.push(evidenceRun(lines, value));
      else if (first.targetKind === "local") local.push(evidenceRun(lines, value));
      else excluded.notDeployment++; // remote, but its addresses are unknown, or private
    }
    const evidence = deployment.length > 0 ? "deployment" : local.length > 0 && !c.notLocal ? "local" : null;
    const runs = (evidence === "deployment" ? deployment : evidence === "local" ? local : []).slice(0, MAX_RUNS);
    const base = {
      id: c.id,
      claim: c.claim,
      expected: expectedText(c),
      source: c.source,
      excluded,
      evidenceRuns: runs,
      reproduce: evidence === "local" ? commandOf(c.run.local, null) : commandOf(c.run.remote ?? c.run.local, "<your deployment's domain>"),
      localModel: evidence === "local" ? (c.localModel ?? null) : null,
    };
    const skipped = [
      excluded.interrupted && `${excluded.interrupted} interrupted`,
      excluded.saturated && `${excluded.saturated} with a saturated generator`,
      excluded.rehearsal && `${excluded.rehearsal} rehearsal${excluded.rehearsal > 1 ? "s" : ""}`,
      excluded.notDeployment && `${excluded.notDeployment} remote without known public addresses`,
    ].filter(Boolean);
    const skippedText = skipped.length > 0 ? `; not counted: ${skipped.join(", ")}` : "";
    if (runs.length === 0) {
      const how = c.notLocal ? commandOf(c.run.remote ?? c.run.local, "<your deployment's domain>") : commandOf(c.run.local ?? c.run.remote, null);
      const localOnly = c.notLocal && local.length > 0 ? `measured locally only (${local.length} run${local.length > 1 ? "s" : ""}), and ${c.notLocal}` : c.notLocal ? `${c.notLocal}` : `no qualifying run in history measured ${c.measure.operation}`;
      const newest = c.notLocal ? local[0] : undefined;
      return {
        ...base,
        reproduce: how,
        measured: newest?.value ?? null,
        verdict: c.notLocal ? "not measurable here" : "not measured",
        direction: null,
        note: `${localOnly}${how ? `: ${how}` : ""}${skippedText}`,
        runs: 0,
        spread: null,
        evidence: null,
        runId: newest?.runId ?? null,
        targetKind: newest ? "local" : null,
        timestamp: newest?.timestamp ?? null,
      };
    }
    const values = runs.map((r) => r.value);
    const mid = median(values);
    const direction = verdictOf(c, mid);
    const enough = runs.length >= MIN_RUNS;
    const what = `${c.measure.statistic}${c.measure.minus ? ` of ${c.measure.operation} − ${c.measure.minus}` : ` of ${c.measure.operation}`}`;
    const newest = runs[0] as EvidenceRun;
    return {
      ...base,
      measured: mid,
      verdict: enough ? direction : "indicative",
      direction,
      note: `${what}: median of ${runs.length} ${evidence} run${runs.length > 1 ? "s" : ""}${enough ? "" : ` (a verdict needs ${MIN_RUNS}; leans ${direction})`}${skippedText}`,
      runs: runs.length,
      spread: { median: mid, min: Math.min(...values), max: Math.max(...values) },
      evidence,
      runId: newest.runId,
      targetKind: newest.targetKind,
      timestamp: newest.timestamp,
    };
  });
}

export const valueText = (v: number, unit: string): string => {
  const n = unit === "ms" ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : Math.round(v).toLocaleString("en-US");
  return `${n} ${unit}`;
};

export const measuredText = (row: ClaimRow, unit: string): string => {
  if (row.measured === null) return "—";
  const value = valueText(row.measured, unit);
  if (!row.spread || row.runs < 2) return value;
  return `${value} (${valueText(row.spread.min, unit).replace(` ${unit}`, "")}–${valueText(row.spread.max, unit)})`;
};

/** The verdict as a table shows it: with n for an indicative one, and what a local verdict stands on. */
export const verdictText = (r: ClaimRow): string => {
  const v = r.verdict === "indicative" ? `indicative (n = ${r.runs}, leans ${r.direction})` : r.verdict;
  return r.localModel ? `${v} — local model: ${r.localModel}` : v;
};
