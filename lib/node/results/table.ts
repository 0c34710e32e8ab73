import Table from "cli-table3";
import { checksByArea, operationOfMetric, type CheckCount } from "./k6-summary";
import { tierBadge } from "../thresholds/tiers";
import type { BenchmarkResult, ThresholdOutcome } from "./schema";

// The console table printed after each run: operation | iterations | rps | p50 | p95 | p99 | errors | thresholds.

const ms = (value: number | undefined): string => (value === undefined ? "—" : value < 10 ? value.toFixed(2) : value.toFixed(1));

/** A failed threshold as the table shows it: an operation's own by its expression, a run-wide one with its metric. */
function failedLabel(t: ThresholdOutcome): string {
  if (t.scope === "operation") return t.threshold;
  const name = operationOfMetric(t.metric);
  return `${name ?? t.metric.replace(/\{.*$/, "")} ${t.threshold}${t.note?.includes("no samples") ? " (no samples)" : ""}`;
}

export function thresholdCell(result: BenchmarkResult): string {
  const tier = result.tier ? ` · ${tierBadge(result.tier)}` : "";
  if (result.thresholds.length === 0) return `none${tier}`;
  const failed = result.thresholds.filter((t) => !t.ok);
  if (failed.length === 0) return `ok (${result.thresholds.length})${tier}`;
  return `FAIL ${[...new Set(failed.map(failedLabel))].join(", ")}${tier}`;
}

const pct = (x: number): string => `${Math.round(x)}%`;

/** One line per process kind: CPU (% of one core) and resident memory over the run. */
export function resourcesLine(result: BenchmarkResult | undefined): string | null {
  if (!result?.resources) return null;
  const parts = Object.entries(result.resources).map(
    ([kind, r]) =>
      `${kind}${r.processes > 1 ? ` ×${r.processes}` : ""} CPU ${pct(r.cpuMean)} mean / ${pct(r.cpuPeak)} peak, RSS ${r.rssMeanMB.toFixed(0)} MB mean / ${r.rssPeakMB.toFixed(0)} MB peak`,
  );
  return parts.length > 0 ? `resources: ${parts.join("; ")}` : null;
}

/**
 * The loud warning for a run that dropped iterations: the arrival rate asked for them and every VU
 * was busy, so those requests were never sent and the latencies above leave them out.
 */
export function droppedWarning(dropped: number, offered: number, result: BenchmarkResult | undefined): string | null {
  if (dropped === 0) return null;
  const share = offered > 0 ? ` (${((dropped / offered) * 100).toFixed(1)} %)` : "";
  const rates = result?.offeredRate !== undefined && result.achievedRate !== undefined ? `: offered ${result.offeredRate.toFixed(1)}/s, achieved ${result.achievedRate.toFixed(1)}/s` : "";
  const pool = result?.vus ? ` with at most ${result.vus.max} VUs` : "";
  const lines = [
    `COORDINATED OMISSION: k6 dropped ${dropped} of ${offered} iterations${share}${rates}${pool}.`,
    "Those requests were never sent, so the latencies above understate what users would see;",
    "the corrected figures below count them. Give k6 more VUs (--max-vus, --vus) or lower the rate;",
    "see docs/thresholds.md, \"Coordinated omission\".",
  ];
  const width = Math.max(...lines.map((l) => l.length));
  return ["!".repeat(width), ...lines, "!".repeat(width)].join("\n");
}

/**
 * What users would have seen, per operation, where the run omitted requests (null when it omitted
 * none: then the corrected figures are the table's).
 */
export function correctedLines(results: readonly BenchmarkResult[]): string | null {
  const lines = results.flatMap((r) => {
    const c = r.corrected;
    if (!c || !("model" in c) || c.omitted === 0) return [];
    const kind = c.model === "omission" ? `, ${c.target === "unknown" ? "target kind unknown" : `${c.target} target`}` : "";
    const bounds = c.model === "omission" && c.bounds ? `; bounds p95 ${ms(c.bounds.p95[0])}–${ms(c.bounds.p95[1])}, p99 ${ms(c.bounds.p99[0])}–${ms(c.bounds.p99[1])} ms (parallel–serial)` : "";
    return [`  ${r.name}: p50 ${ms(c.p50)}, p95 ${ms(r.latency?.p95)} → ${ms(c.p95)}, p99 ${ms(r.latency?.p99)} → ${ms(c.p99)} ms (${c.omitted} omitted request(s) back-filled${kind})${bounds}`];
  });
  if (lines.length === 0) return null;
  return ["corrected for coordinated omission (docs/results.md, \"Corrected latency\"): service → corrected", ...lines].join("\n");
}

/**
 * About this many requests a second one Durable Object serves before it refuses work: a soft limit,
 * not a quota (Durable Objects limits: "a soft limit of 1,000 requests per second" per object).
 */
export const DO_SOFT_LIMIT_RPS = 1000;

/** Which overloads the run hit, per operation and kind (null when none). */
export function overloadLines(results: readonly BenchmarkResult[]): string | null {
  const hit = results.filter((r) => r.overloads && Object.keys(r.overloads).length > 0);
  if (hit.length === 0) return null;
  const total = hit.reduce((n, r) => n + Object.values(r.overloads ?? {}).reduce((a, b) => a + b, 0), 0);
  return [
    `OVERLOADED: Durable Objects refused ${total} request(s) as overloaded (503; see docs/results.md, "Overload"):`,
    ...hit.map((r) => `  ${r.name}: ${Object.entries(r.overloads ?? {}).map(([kind, n]) => `${kind} ${n}`).join(", ")}`),
  ].join("\n");
}

/** The objects (hosts) the run loaded most, by request rate, against the soft limit of one object. */
export function busiestObjectsLine(results: readonly BenchmarkResult[]): string | null {
  const byHost = new Map<string, number>();
  for (const r of results) byHost.set(r.target, (byHost.get(r.target) ?? 0) + r.rps);
  const top = [...byHost].sort((a, b) => b[1] - a[1]).slice(0, 3);
  if (top.length === 0) return null;
  return `busiest objects: ${top.map(([host, rps]) => `${host} ${rps.toFixed(0)}/s (${((rps / DO_SOFT_LIMIT_RPS) * 100).toFixed(0)} %)`).join(", ")} of the ~${DO_SOFT_LIMIT_RPS.toLocaleString("en-US")}/s one Durable Object serves before refusing`;
}

/** The loud warning for a run whose generator was saturated: its latencies include k6's own delay. */
export function saturationWarning(result: BenchmarkResult | undefined, capacityPct: number): string | null {
  const k6 = result?.resources?.k6;
  if (!result?.generatorSaturated) return null;
  const ticks = result.generatorTicks;
  const behind =
    ticks?.behindShare !== undefined
      ? `it was behind schedule ${(ticks.behindShare * 100).toFixed(1)} % of the run (≥ 10 % marks it), ${((ticks.worstWindowShare ?? 0) * 100).toFixed(0)} % of its worst 5 s (≥ 30 % marks it)`
      : null;
  const late = ticks && ticks.count > 0 ? `${((ticks.late / ticks.count) * 100).toFixed(0)} % of its 50 ms ticks ran over 25 ms late (worst ${ticks.maxLagMs.toFixed(0)} ms${ticks.behindShare === undefined ? "; ≥ 10 % marks it" : ""})` : null;
  const window = k6?.cpuWindowPeak !== undefined ? `, ${pct(k6.cpuWindowPeak)} over its busiest 5 s (≥ 95 % marks it)` : "";
  const cpu = k6 ? `k6 used ${pct(k6.cpuMean)} CPU on average of the ${pct(capacityPct)} it can use (≥ 80 % marks it)${window}` : null;
  const lines = [
    `GENERATOR SATURATED: ${[behind, late, cpu].filter((x) => x !== null).join("; ")}.`,
    "Its timers and requests ran late, so the latencies above include the generator's own delay.",
    "Lower the rate, run k6 on more cores or machines (--instances, k6-operator, Grafana Cloud k6).",
  ];
  const width = Math.max(...lines.map((l) => l.length));
  return ["!".repeat(width), ...lines, "!".repeat(width)].join("\n");
}

export function resultsTable(results: readonly BenchmarkResult[]): string {
  // A script with several k6 scenarios has a line per operation and scenario: say which.
  const byScenario = new Set(results.map((r) => r.profile)).size > 1;
  const table = new Table({
    head: [byScenario ? "operation [scenario]" : "operation", "iterations", "rps", "p50 ms", "p95 ms", "p99 ms", "errors", "thresholds"],
    colAligns: ["left", "right", "right", "right", "right", "right", "right", "left"],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    const errors = r.errors === 0 ? "0" : `${r.errors} (${(r.errorRate * 100).toFixed(1)}%)`;
    const name = `${r.loadZone ? `${r.name} @ ${r.loadZone}` : r.name}${byScenario ? ` [${r.profile}]` : ""}`;
    table.push([name, String(r.iterations), r.rps.toFixed(1), ms(r.latency?.p50), ms(r.latency?.p95), ms(r.latency?.p99), errors, thresholdCell(r)]);
  }
  return table.toString();
}

/** Checks per area (the text before ":" in a check's name), then every failing check by name. */
export function checksTable(checks: readonly CheckCount[]): string {
  const table = new Table({ head: ["checks by area", "assertions", "passed", "failed"], colAligns: ["left", "right", "right", "right"], style: { head: [], border: [] } });
  for (const a of checksByArea(checks)) table.push([a.area, String(a.checks), String(a.passes), a.fails === 0 ? "0" : `${a.fails} FAIL`]);
  const failing = checks.filter((c) => c.fails > 0).map((c) => `  FAILED ${c.name} (${c.fails} of ${c.passes + c.fails})`);
  return [table.toString(), ...failing].join("\n");
}
