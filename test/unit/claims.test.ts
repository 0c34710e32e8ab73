import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeClaims, verdictOf } from "../../lib/node/claims/judge";
import { LedgerSchema, type Claim } from "../../lib/node/claims/ledger";
import { consoleClaims } from "../../lib/node/claims/render";
import type { BenchmarkResult } from "../../lib/node/results/schema";

// The claims judge on its own (the end-to-end path, with real k6 runs: test/integration/claims.test.ts).

const claim = (over: Partial<Claim> = {}): Claim => ({
  id: "c",
  claim: "Cold start",
  source: "plan",
  expected: { min: 10, max: 20, unit: "ms" },
  better: "lower",
  measure: { scenario: "perf/x", operation: "op.cold", minus: "op.warm", statistic: "p50" },
  run: { local: { args: ["run", "perf/x"] } },
  ...over,
});

const line = (runId: string, name: string, p50: number, extra: Partial<BenchmarkResult> = {}): BenchmarkResult =>
  ({
    schemaVersion: 1, name, scenario: "perf/x", timestamp: extra.timestamp ?? "2026-12-01T00:00:00.000Z", target: "x.perf.do", targetKind: "local",
    iterations: 10, latency: { p50, p95: p50, p99: p50, min: p50, max: p50, mean: p50, stddev: 0 }, errors: 0, errorRate: 0, rps: 1, durationSec: 10,
    profile: "sustain", thresholds: [], thresholdsPassed: true, k6Version: "2.2.0", runId, ...extra,
  }) as BenchmarkResult;

describe("the claims judge", () => {
  it("judges by direction: in range holds, outside it better or worse", () => {
    assert.equal(verdictOf(claim(), 15), "holds");
    assert.equal(verdictOf(claim(), 5), "better");
    assert.equal(verdictOf(claim(), 25), "worse");
    const higher = claim({ better: "higher", expected: { min: 1000, unit: "req/s" } });
    assert.equal(verdictOf(higher, 1200), "holds");
    assert.equal(verdictOf(higher, 600), "worse");
  });

  it("takes the newest run that measured the claim, subtracting its minus operation", () => {
    const rows = judgeClaims({ claims: [claim()] }, [
      line("old", "op.cold", 40, { timestamp: "2026-11-01T00:00:00.000Z" }), line("old", "op.warm", 1, { timestamp: "2026-11-01T00:00:00.000Z" }),
      line("new", "op.cold", 17, { timestamp: "2026-12-01T00:00:00.000Z" }), line("new", "op.warm", 2, { timestamp: "2026-12-01T00:00:00.000Z" }),
    ]);
    assert.equal(rows[0]?.runId, "new");
    assert.equal(rows[0]?.measured, 15);
    assert.equal(rows[0]?.verdict, "holds");
  });

  it("never lets a local run judge a claim it cannot, and marks a run whose generator was saturated", () => {
    const local = judgeClaims({ claims: [claim({ notLocal: "no geography here" })] }, [line("r", "op.cold", 15), line("r", "op.warm", 0)]);
    assert.equal(local[0]?.verdict, "not measurable here");
    const saturated = judgeClaims({ claims: [claim()] }, [line("r", "op.cold", 15, { generatorSaturated: true }), line("r", "op.warm", 0)]);
    assert.equal(saturated[0]?.generatorSaturated, true);
    assert.match(consoleClaims({ claims: [claim()] }, saturated), /holds \(generator saturated\)/);
    assert.equal(judgeClaims({ claims: [claim()] }, [])[0]?.verdict, "not measured");
  });

  it("refuses a ledger whose range is upside down, or whose ids repeat", () => {
    assert.equal(LedgerSchema.safeParse({ claims: [claim({ expected: { min: 20, max: 10, unit: "ms" } })] }).success, false);
    assert.equal(LedgerSchema.safeParse({ claims: [claim(), claim()] }).success, false);
    assert.equal(LedgerSchema.safeParse({ claims: [claim()] }).success, true);
  });
});
