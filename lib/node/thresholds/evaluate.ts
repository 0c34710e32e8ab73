import { closest } from "fastest-levenshtein";
import { LatencyAccumulator } from "../results/accumulator";
import type { RawRun } from "../results/k6-output";
import { operationNames } from "../results/raw-run";
import type { ThresholdReport } from "../results/k6-summary";
import type { ThresholdOutcome } from "../results/schema";
import { correctionOf } from "../results/omission";
import { CORRECTED_METRIC, MEASURED_METRIC, type K6Threshold, type K6Thresholds } from "./compile";

// Evaluates compiled thresholds on a run's samples. k6 judges a single run itself; a merged run
// (several k6 processes over execution segments) has only partial verdicts per instance, so its
// thresholds are judged here, on the union of every instance's samples.

const EXPRESSION = /^\s*(p\((\d+(?:\.\d+)?)\)|avg|min|max|med|rate|count|share)\s*(<=|>=|<|>|===|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$/;

export interface ParsedExpression {
  stat: string;
  percentile?: number;
  op: "<" | "<=" | ">" | ">=" | "==" | "===" | "!=";
  value: number;
}

export function parseExpression(expression: string): ParsedExpression {
  const m = EXPRESSION.exec(expression);
  if (!m) throw new Error(`threshold "${expression}" is not of the form <stat> <op> <number>`);
  const stat = m[2] ? "p" : (m[1] as string);
  return { stat, percentile: m[2] ? Number(m[2]) : undefined, op: m[3] as ParsedExpression["op"], value: Number(m[4]) };
}

/** The expression of a compiled threshold, plain or in k6's object form. */
const expressionOf = (entry: K6Threshold): string => (typeof entry === "string" ? entry : entry.threshold);

function holds(actual: number, { op, value }: ParsedExpression): boolean {
  switch (op) {
    case "<": return actual < value;
    case "<=": return actual <= value;
    case ">": return actual > value;
    case ">=": return actual >= value;
    case "!=": return actual !== value;
    default: return actual === value;
  }
}

/** `http_req_duration{name:x,expected_response:true}` → { metric, tags }. */
export function parseMetricKey(key: string): { metric: string; tags: Record<string, string> } {
  const brace = key.indexOf("{");
  if (brace < 0) return { metric: key, tags: {} };
  const tags: Record<string, string> = {};
  for (const pair of key.slice(brace + 1, -1).split(",")) {
    const colon = pair.indexOf(":");
    if (colon > 0) tags[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim();
  }
  return { metric: key.slice(0, brace), tags };
}

function selectOperations(run: RawRun, name: string | undefined) {
  const all = [...run.operations.values()];
  return name === undefined ? all : all.filter((op) => op.name === name);
}

/** The value a threshold looks at, or null when the metric has no samples (k6 then passes it vacuously). */
function measure(run: RawRun, key: string, expr: ParsedExpression): number | null {
  const { metric, tags } = parseMetricKey(key);
  const ops = selectOperations(run, tags.name);
  if (metric === "dropped_iterations") {
    // share: of the iterations offered (completed + dropped), compile.ts's default form.
    if (expr.stat !== "share") return run.droppedIterations;
    const offered = run.iterations + run.droppedIterations;
    return offered === 0 ? 0 : run.droppedIterations / offered;
  }
  if (metric === "checks") {
    const total = run.checks.passes + run.checks.fails;
    return total === 0 ? null : run.checks.passes / total;
  }
  if (metric === "http_req_failed") {
    const failures = ops.reduce((sum, op) => sum + op.failures, 0);
    const total = ops.reduce((sum, op) => sum + op.failures + op.latency.count, 0);
    return total === 0 ? null : failures / total;
  }
  if (metric === "http_req_duration" || metric === MEASURED_METRIC || metric === CORRECTED_METRIC) {
    if (metric === "http_req_duration" && tags.expected_response !== "true") throw new Error(`${key}: only successful-response latency (expected_response:true) can be judged from merged samples`);
    const latency = new LatencyAccumulator();
    for (const op of ops) {
      if (metric !== CORRECTED_METRIC) latency.merge(op.latency);
      else {
        const correction = correctionOf(run, op);
        if (correction.applies) latency.merge(correction.latency);
      }
    }
    const stats = latency.stats();
    if (!stats) return null;
    switch (expr.stat) {
      case "p": return latency.percentile(expr.percentile as number);
      case "avg": return stats.mean;
      case "min": return stats.min;
      case "max": return stats.max;
      case "med": return stats.p50;
      case "count": return latency.count;
      default: throw new Error(`${key}: "${expr.stat}" does not apply to a trend`);
    }
  }
  throw new Error(`${key}: cannot judge metric "${metric}" from raw samples`);
}

export function evaluateThresholds(compiled: K6Thresholds, run: RawRun): ThresholdReport {
  const byOperation = new Map<string, ThresholdOutcome[]>();
  const scenarioWide: ThresholdOutcome[] = [];
  for (const [key, list] of Object.entries(compiled)) {
    const name = parseMetricKey(key).tags.name;
    for (const entry of list) {
      const threshold = expressionOf(entry);
      const expr = parseExpression(threshold);
      const actual = measure(run, key, expr);
      const outcome: ThresholdOutcome = { metric: key, threshold, ok: actual === null ? true : holds(actual, expr), scope: name ? "operation" : "scenario" };
      if (name) byOperation.set(name, [...(byOperation.get(name) ?? []), outcome]);
      else scenarioWide.push(outcome);
    }
  }
  return { byOperation, scenarioWide };
}

/**
 * An operation's latency limits are compiled onto one metric, http_req_duration or (marked
 * "measured") perfdo_latency (compile.ts). Limits on a metric the operation has no samples in,
 * which k6 passed vacuously, fail with a note saying how to mark it. An error rate on a measured operation (no requests, so no error rate)
 * fails, with a note, rather than pass vacuously.
 */
function judgedOn(name: string, outcomes: ThresholdOutcome[], run: RawRun, problems: string[]): ThresholdOutcome[] {
  let requests = 0;
  let measured = 0;
  for (const op of run.operations.values()) {
    if (op.name !== name) continue;
    measured += op.measured;
    requests += op.latency.count - op.measured + op.failures;
  }
  const kept: ThresholdOutcome[] = [];
  for (const t of outcomes) {
    const metric = parseMetricKey(t.metric).metric;
    // A latency limit on the metric the operation has no samples in: the thresholds entry says the
    // wrong kind (compile.ts puts each on one metric only), so it fails and says which way to fix it.
    if (metric === MEASURED_METRIC && measured === 0) {
      const note = `operation "${name}" is HTTP requests, not a measured latency: drop its "measured": true`;
      problems.push(`thresholds: ${note}; its latency limits fail`);
      kept.push({ ...t, ok: false, note });
      continue;
    }
    if (metric === "http_req_duration" && requests === 0) {
      const note = `operation "${name}" is a measured latency (perfdo_latency): mark it "measured": true`;
      problems.push(`thresholds: ${note}; its latency limits fail`);
      kept.push({ ...t, ok: false, note });
      continue;
    }
    if (metric === "http_req_failed" && requests === 0) {
      const note = `operation "${name}" is a measured latency (perfdo_latency), not requests: it has no error rate`;
      problems.push(`thresholds: ${note}; its errorRate fails`);
      kept.push({ ...t, ok: false, note });
      continue;
    }
    kept.push(t);
  }
  return kept;
}

/**
 * Limits on the corrected latency (`{"of": "corrected"}`) k6 never saw: judged here, always. Where
 * the correction does not apply (a closed-model run, a capture of histograms), they fail and say
 * why, rather than pass on figures that are not what they name.
 */
function judgeCorrected(compiled: K6Thresholds, run: RawRun, byOperation: Map<string, ThresholdOutcome[]>, problems: string[]): void {
  for (const [key, list] of Object.entries(compiled)) {
    const { metric, tags } = parseMetricKey(key);
    if (metric !== CORRECTED_METRIC || tags.name === undefined) continue;
    const ops = selectOperations(run, tags.name);
    if (ops.length === 0) continue; // unmatched: closeVacuousThresholds already failed it
    const refused = ops.map((op) => correctionOf(run, op)).find((c) => !c.applies);
    for (const entry of list) {
      const threshold = expressionOf(entry);
      const expr = parseExpression(threshold);
      let outcome: ThresholdOutcome;
      if (refused && !refused.applies) {
        const note = `corrected latency does not apply (${refused.reason})`;
        problems.push(`thresholds: ${tags.name}: ${note}; its corrected limits fail`);
        outcome = { metric: key, threshold, ok: false, scope: "operation", note };
      } else {
        const actual = measure(run, key, expr);
        outcome = { metric: key, threshold, ok: actual === null ? true : holds(actual, expr), scope: "operation" };
      }
      byOperation.set(tags.name, [...(byOperation.get(tags.name) ?? []).filter((t) => !(t.metric === key && t.threshold === threshold)), outcome]);
    }
  }
}

/**
 * Where the harness judges differently from k6, whose thresholds pass vacuously on a metric with no
 * samples (k6 issue #4283):
 * - a threshold naming an operation that produced no samples fails, with the closest operation that
 *   did run as a suggestion (a typo in a thresholds file would otherwise gate nothing);
 * - an operation is judged on the metric its samples are in (judgedOn);
 * - a checks threshold fails when no check ran;
 * - dropped iterations are always judged, from the raw samples (k6 reports nothing when none dropped).
 * Returns the completed report and one line per problem, for the console.
 */
export function closeVacuousThresholds(report: ThresholdReport, compiled: K6Thresholds, run: RawRun): { report: ThresholdReport; problems: string[] } {
  const problems: string[] = [];
  const byOperation = new Map<string, ThresholdOutcome[]>();
  const scenarioWide = report.scenarioWide.filter((t) => t.metric !== "dropped_iterations");
  const ran = operationNames(run);
  const unmatched = (name: string, outcomes: readonly ThresholdOutcome[]): void => {
    const guess = ran.length > 0 ? closest(name, ran) : undefined;
    const note = `operation "${name}" produced no samples${guess ? ` (did you mean ${guess}?)` : ""}`;
    problems.push(`thresholds: ${note}; its thresholds fail`);
    scenarioWide.push(...outcomes.map((t) => ({ ...t, ok: false, scope: "scenario" as const, note })));
  };
  for (const [name, outcomes] of report.byOperation) {
    if (ran.includes(name)) byOperation.set(name, judgedOn(name, outcomes, run, problems));
    else unmatched(name, outcomes);
  }
  // Named operations k6 did not report at all (a summary without them) are just as unmatched.
  for (const [key, list] of Object.entries(compiled)) {
    const name = parseMetricKey(key).tags.name;
    if (name === undefined || ran.includes(name) || report.byOperation.has(name)) continue;
    unmatched(name, list.map((entry) => ({ metric: key, threshold: expressionOf(entry), ok: false, scope: "scenario" })));
  }
  const checksRan = run.checks.passes + run.checks.fails > 0;
  for (const [i, t] of scenarioWide.entries()) {
    if (t.metric === "checks" && !checksRan && t.ok) {
      scenarioWide[i] = { ...t, ok: false, note: "no check ran" }; // k6's report is not changed in place
      problems.push("thresholds: a checks threshold is set but no check ran; it fails");
    }
  }
  judgeCorrected(compiled, run, byOperation, problems);
  for (const entry of compiled.dropped_iterations ?? []) {
    const threshold = expressionOf(entry);
    const expr = parseExpression(threshold);
    scenarioWide.push({ metric: "dropped_iterations", threshold, ok: holds(measure(run, "dropped_iterations", expr) ?? 0, expr), scope: "scenario" });
  }
  return { report: { byOperation, scenarioWide }, problems: [...new Set(problems)] };
}
