import type { BenchmarkComparison } from "../compare/compare";
import { benchmarkKey } from "../compare/key";
import type { BenchmarkResult } from "../results/schema";
import { fmtChange, fmtValue } from "./matrix";

// JUnit XML: one testcase per threshold and per regression rule, a suite per scenario run.
// A breached threshold or a "fail" verdict is a failure; a "warn" passes with its reason in system-out.

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function junitReport(results: readonly BenchmarkResult[], comparisons: readonly BenchmarkComparison[] = []): string {
  const byKey = new Map(comparisons.map((c) => [c.key, c]));
  const suites = new Map<string, BenchmarkResult[]>();
  for (const r of results) {
    const suite = `${r.scenario} (${r.targetKind === "local" ? "local" : r.target}, ${r.profile})`;
    suites.set(suite, [...(suites.get(suite) ?? []), r]);
  }
  const xml: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let totalTests = 0;
  let totalFailures = 0;
  const bodies: string[] = [];
  for (const [suite, lines] of suites) {
    const cases: string[] = [];
    let failures = 0;
    for (const r of lines) {
      const classname = esc(`${r.scenario}.${r.name}`);
      for (const t of r.thresholds.filter((t) => t.scope === "operation" || lines.indexOf(r) === 0)) {
        const name = esc(`threshold ${t.metric} ${t.threshold}`);
        if (t.ok) cases.push(`    <testcase classname="${classname}" name="${name}"/>`);
        else {
          failures++;
          cases.push(`    <testcase classname="${classname}" name="${name}"><failure message="${esc(`threshold ${t.threshold} breached`)}"/></testcase>`);
        }
      }
      for (const o of byKey.get(benchmarkKey(r))?.outcomes ?? []) {
        const name = esc(`regression ${o.metric}`);
        const detail = esc(`${o.metric}: ${fmtValue(o.baseline, o.metric)} → ${fmtValue(o.current, o.metric)} (${fmtChange(o.change, o.metric)}), ${o.verdict}${o.note ? `, ${o.note}` : ""}`);
        if (o.verdict === "fail") {
          failures++;
          cases.push(`    <testcase classname="${classname}" name="${name}"><failure message="${detail}"/></testcase>`);
        } else if (o.verdict === "skipped") cases.push(`    <testcase classname="${classname}" name="${name}"><skipped message="${detail}"/></testcase>`);
        else cases.push(`    <testcase classname="${classname}" name="${name}"><system-out>${detail}</system-out></testcase>`);
      }
    }
    totalTests += cases.length;
    totalFailures += failures;
    bodies.push(`  <testsuite name="${esc(suite)}" tests="${cases.length}" failures="${failures}" timestamp="${esc(lines[0]?.timestamp ?? "")}">\n${cases.join("\n")}\n  </testsuite>`);
  }
  xml.push(`<testsuites name="perfdo" tests="${totalTests}" failures="${totalFailures}">`, ...bodies, "</testsuites>");
  return `${xml.join("\n")}\n`;
}
