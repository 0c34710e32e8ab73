import { groupByRun } from "../history/read";
import type { BenchmarkResult } from "../results/schema";
import type { Claim, Ledger } from "./ledger";

// Each claim against the newest run that measured it: the value, and a verdict. A claim the local
// target cannot judge (its `notLocal`) is never "holds" from a local run, whatever it measured.

export type Verdict = "holds" | "better" | "worse" | "not measured" | "not measurable here";

export interface ClaimRow {
  id: string;
  claim: string;
  expected: string;
  /** The measured value in the claim's unit; null when nothing in history measured it. */
  measured: number | null;
  verdict: Verdict;
  /** Why (for not measured / not measurable here), or what the value is. */
  note: string;
  runId: string | null;
  targetKind: "local" | "remote" | null;
  timestamp: string | null;
  /** The run's generator was saturated (lib/node/run/saturation.ts): the value is k6's limit as much as the target's. */
  generatorSaturated: boolean;
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

export function verdictOf(c: Claim, value: number): Exclude<Verdict, "not measured" | "not measurable here"> {
  const { min, max } = c.expected;
  const below = min !== undefined && value < min;
  const above = max !== undefined && value > max;
  if (!below && !above) return "holds";
  if (c.better === "lower") return below ? "better" : "worse";
  return above ? "better" : "worse";
}

/** Every claim of the ledger, judged by the newest run in `history` that measured it (local runs judge only claims without `notLocal`). */
export function judgeClaims(ledger: Ledger, history: readonly BenchmarkResult[]): ClaimRow[] {
  const newestFirst = [...groupByRun(history).values()].sort((a, b) => Date.parse((b[0] as BenchmarkResult).timestamp) - Date.parse((a[0] as BenchmarkResult).timestamp));
  return ledger.claims.map((c) => {
    const base = { id: c.id, claim: c.claim, expected: expectedText(c) };
    for (const lines of newestFirst) {
      const value = valueIn(c, lines);
      if (value === null) continue;
      const first = lines[0] as BenchmarkResult;
      const where = { runId: first.runId, targetKind: first.targetKind, timestamp: first.timestamp, generatorSaturated: lines.some((l) => l.generatorSaturated === true) };
      if (first.targetKind === "local" && c.notLocal) {
        return { ...base, measured: value, verdict: "not measurable here" as const, note: `${c.notLocal}: run with --target <your deployment>`, ...where };
      }
      return { ...base, measured: value, verdict: verdictOf(c, value), note: `${c.measure.statistic}${c.measure.minus ? ` of ${c.measure.operation} − ${c.measure.minus}` : ` of ${c.measure.operation}`}`, ...where };
    }
    const how = c.run.local ?? c.run.remote;
    const note = `no run in history measured ${c.measure.operation}${how ? `: perfdo ${how.args.join(" ")}` : ""}${c.notLocal ? ` (${c.notLocal}: run with --target <your deployment>)` : ""}`;
    return { ...base, measured: null, verdict: c.notLocal ? ("not measurable here" as const) : ("not measured" as const), note, runId: null, targetKind: null, timestamp: null, generatorSaturated: false };
  });
}

export const measuredText = (row: ClaimRow, unit: string): string => {
  if (row.measured === null) return "—";
  const v = row.measured;
  const n = unit === "ms" ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : Math.round(v).toLocaleString("en-US");
  return `${n} ${unit}`;
};
