import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { perfdo, tempDir } from "./helpers";

// Change points through the CLI, over a synthetic history written as real history files: echo.ping's
// p95 steps from 20 ms to 30 ms at run 12 (commit c12); things.get is noise around a level.

function history(dir: string): void {
  mkdirSync(dir, { recursive: true });
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const lines: string[] = [];
  for (let i = 0; i < 24; i++) {
    const timestamp = new Date(Date.UTC(2026, 10, 1, i)).toISOString();
    for (const [name, level] of [["echo.ping", i < 12 ? 20 : 30], ["things.get", 15]] as const) {
      const p95 = level + rand();
      lines.push(JSON.stringify({
        schemaVersion: 1, name, scenario: name === "echo.ping" ? "network/echo" : "stores/things", timestamp,
        target: name === "echo.ping" ? "echo.perf.do" : "stores.perf.do", targetKind: "local", iterations: 100,
        latency: { p50: p95 / 2, p95, p99: p95 * 1.5, min: 1, max: p95 * 2, mean: p95 / 2, stddev: 1 },
        errors: 0, errorRate: 0, rps: 10, durationSec: 10, profile: "sustain", thresholds: [], thresholdsPassed: true,
        k6Version: "v2.2.0", runId: `run-${String(i).padStart(2, "0")}`, gitCommit: `c${i}`,
      }));
    }
  }
  writeFileSync(join(dir, "2026-11-01-benchmarks.jsonl"), `${lines.join("\n")}\n`);
}

describe("change points in compare --history and report", () => {
  it("names the run, commit and size of a shift, and only that one", async () => {
    const dir = tempDir("change-points");
    history(dir);
    const res = await perfdo(["compare", "--history", "--results-dir", dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /change points \(E-divisive means on p95\)/);
    assert.match(res.stdout, /echo\.ping[^\n]*│ run-12 \([^)]*\)\s*│ c12\s*│[^\n]*\+\d\d\.\d %/);
    const section = res.stdout.slice(res.stdout.indexOf("change points ("));
    assert.doesNotMatch(section, /things\.get @/, "noise is not a shift");
    const md = await perfdo(["report", "--format", "markdown", "--results-dir", dir]);
    assert.match(md.stdout, /### Change points in history[\s\S]*\| run-12 \(/);
    const html = await perfdo(["report", "--format", "html", "--all", "--results-dir", dir]);
    assert.match(html.stdout, /Change points in history/);
    assert.match(html.stdout, /"changes":\[\{"t":\d+,"runId":"run-12","shiftPct":\d/);
  });
});
