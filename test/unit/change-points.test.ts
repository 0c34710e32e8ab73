import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { changePoints, eDivisive } from "../../lib/node/compare/change-points";
import { mulberry32 } from "../../lib/node/prng";
import { migrateLine, type BenchmarkResult } from "../../lib/node/results/schema";

/** Seeded normal noise (Box-Muller over mulberry32): the same series on every run. */
function noise(seed: number): () => number {
  const random = mulberry32(seed);
  const u = () => (random() * 4294967296 + 1) / 4294967297; // (0, 1): log is finite
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
const series = (seed: number, levels: Array<[count: number, mean: number]>, sd: number): number[] => {
  const n = noise(seed);
  return levels.flatMap(([count, m]) => Array.from({ length: count }, () => m + sd * n()));
};

describe("change points (E-divisive means)", () => {
  it("finds a single known shift where it is", () => {
    const found = eDivisive(series(1, [[30, 10], [30, 15]], 0.8));
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.ok(Math.abs((found[0]?.index ?? 0) - 30) <= 1, `at ${found[0]?.index}`);
    assert.ok(Math.abs((found[0]?.after ?? 0) - 15) < 0.5 && Math.abs((found[0]?.before ?? 0) - 10) < 0.5);
  });

  it("finds two shifts, up then down", () => {
    const found = eDivisive(series(2, [[25, 10], [25, 14], [25, 8]], 0.8)).map((s) => s.index);
    assert.equal(found.length, 2, JSON.stringify(found));
    assert.ok(Math.abs((found[0] ?? 0) - 25) <= 1 && Math.abs((found[1] ?? 0) - 50) <= 1, JSON.stringify(found));
  });

  it("finds none on pure noise, within the documented 5 % false-positive rate", () => {
    let flagged = 0;
    for (let seed = 100; seed < 140; seed++) if (eDivisive(series(seed, [[40, 10]], 1)).length > 0) flagged++;
    assert.ok(flagged <= 2, `${flagged} of 40 noise series flagged`);
  });

  it("names the run and commit of a shift in a benchmark's history", () => {
    const p95 = series(3, [[12, 20], [12, 30]], 1);
    // Schema 1 lines, as old history holds them: read through the schema, their commit moves into provenance.
    const history = p95.map((v, i) => migrateLine({
      schemaVersion: 1, name: "echo.ping", scenario: "network/echo", timestamp: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
      target: "echo.perf.do", targetKind: "local", iterations: 100, latency: { min: 1, max: v * 2, mean: v, stddev: 1, p50: v / 2, p75: v, p90: v, p95: v, p99: v * 1.5 },
      errors: 0, errorRate: 0, rps: 10, durationSec: 10, profile: "sustain", thresholds: [], thresholdsPassed: true, k6Version: "v2.2.0", runId: `run-${i}`, gitCommit: `c${i}`,
    })) as unknown as BenchmarkResult[];
    const [cp, ...rest] = changePoints(history);
    assert.equal(rest.length, 0);
    assert.equal(cp?.runId, "run-12");
    assert.equal(cp?.gitCommit, "c12");
    assert.ok((cp?.shiftPct ?? 0) > 40 && (cp?.shiftPct ?? 0) < 60, `${cp?.shiftPct}`);
  });
});
