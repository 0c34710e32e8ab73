import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeClaims, verdictOf, type ClaimRow } from "../../lib/node/claims/judge";
import { LedgerSchema, type Claim } from "../../lib/node/claims/ledger";
import { consoleClaims, markdownClaims } from "../../lib/node/claims/render";
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

const local = { gitCommit: "abc", gitDirty: false, k6Version: "v2.2.0", k6Build: "perfdo-output" as const, generators: [], target: "local", addresses: ["127.0.0.1:8787"], reachedLoopback: true, reachedPrivate: false, rehearsal: false, recordedBy: "run" as const };
const deployed = { ...local, target: "perf.do", addresses: ["104.18.2.3:443"], reachedLoopback: false };

const line = (runId: string, name: string, p50: number, extra: Partial<BenchmarkResult> = {}): BenchmarkResult =>
  ({
    schemaVersion: 2, name, scenario: "perf/x", timestamp: extra.timestamp ?? "2026-12-01T00:00:00.000Z", target: "x.perf.do", targetKind: "local",
    iterations: 10, latency: { p50, p95: p50, p99: p50, min: p50, max: p50, mean: p50, stddev: 0 }, errors: 0, errorRate: 0, rps: 1, durationSec: 10,
    profile: "sustain", thresholds: [], thresholdsPassed: true, k6Version: "2.2.0", provenance: local, runId, ...extra,
  }) as BenchmarkResult;

/** One run measuring cold − warm = `value`, on day `day` of December. */
const run = (id: string, value: number, day: number, extra: Partial<BenchmarkResult> = {}): BenchmarkResult[] => {
  const timestamp = `2026-12-${String(day).padStart(2, "0")}T00:00:00.000Z`;
  return [line(id, "op.cold", value + 1, { timestamp, ...extra }), line(id, "op.warm", 1, { timestamp, ...extra })];
};

describe("the claims judge", () => {
  it("judges by direction: in range holds, outside it better or worse", () => {
    assert.equal(verdictOf(claim(), 15), "holds");
    assert.equal(verdictOf(claim(), 5), "better");
    assert.equal(verdictOf(claim(), 25), "worse");
    const higher = claim({ better: "higher", expected: { min: 1000, unit: "req/s" } });
    assert.equal(verdictOf(higher, 1200), "holds");
    assert.equal(verdictOf(higher, 600), "worse");
  });

  it("needs three runs for a verdict, and gives the median and range of the runs behind it", () => {
    const one = judgeClaims({ claims: [claim()] }, run("a", 15, 1))[0] as ClaimRow;
    assert.equal(one.verdict, "indicative");
    assert.equal(one.direction, "holds");
    assert.equal(one.runs, 1);
    assert.match(consoleClaims({ claims: [claim()] }, [one]), /indicative \(n = 1, leans holds\)/);
    const three = judgeClaims({ claims: [claim()] }, [...run("a", 15, 1), ...run("b", 40, 2), ...run("c", 17, 3)])[0] as ClaimRow;
    assert.equal(three.verdict, "holds", "the median (17), not the newest or the worst");
    assert.equal(three.runs, 3);
    assert.deepEqual(three.spread, { median: 17, min: 15, max: 40 });
    assert.equal(three.runId, "c");
  });

  it("counts no interrupted run, no saturated run and no rehearsal", () => {
    const rows = judgeClaims({ claims: [claim()] }, [
      ...run("a", 15, 1), ...run("b", 15, 2), ...run("i", 15, 3, { interrupted: true }), ...run("s", 15, 4, { generatorSaturated: true }),
      ...run("r", 15, 5, { provenance: { ...local, rehearsal: true, rehearsalReason: "k8s --rehearse" } }),
    ]);
    const row = rows[0] as ClaimRow;
    assert.equal(row.runs, 2);
    assert.equal(row.verdict, "indicative");
    assert.deepEqual(row.excluded, { interrupted: 1, saturated: 1, rehearsal: 1, notDeployment: 0 });
    assert.match(row.note, /not counted: 1 interrupted, 1 with a saturated generator, 1 rehearsal/);
  });

  it("judges a deployment claim only by runs that reached public addresses, and a newer local run hides no remote one", () => {
    const c = claim({ notLocal: "no geography here" });
    const localOnly = judgeClaims({ claims: [c] }, [...run("l1", 15, 1), ...run("l2", 15, 2), ...run("l3", 15, 3)])[0] as ClaimRow;
    assert.equal(localOnly.verdict, "not measurable here");
    assert.equal(localOnly.runs, 0);
    // Remote by name, loopback in fact (a rehearsal committed as remote): never evidence.
    const rehearsed = { ...deployed, addresses: ["127.0.0.1:443"], reachedLoopback: true, rehearsal: true };
    const loopback = judgeClaims({ claims: [c] }, [...run("x1", 15, 1, { targetKind: "remote", provenance: rehearsed }), ...run("x2", 15, 2, { targetKind: "remote", provenance: rehearsed })])[0] as ClaimRow;
    assert.equal(loopback.verdict, "not measurable here");
    // A remote run whose addresses were never recorded (migrated from schema 1) is not evidence either.
    const unknown = judgeClaims({ claims: [c] }, run("u", 15, 1, { targetKind: "remote", provenance: { ...deployed, addresses: [] } }))[0] as ClaimRow;
    assert.equal(unknown.verdict, "not measurable here");
    assert.equal(unknown.excluded.notDeployment, 1);
    const remote = (id: string, v: number, day: number) => run(id, v, day, { targetKind: "remote", provenance: deployed });
    const mixed = judgeClaims({ claims: [claim()] }, [...remote("r1", 30, 1), ...remote("r2", 31, 2), ...remote("r3", 32, 3), ...run("newer-local", 15, 9)])[0] as ClaimRow;
    assert.equal(mixed.evidence, "deployment");
    assert.equal(mixed.runId, "r3");
    assert.equal(mixed.verdict, "worse");
    assert.match(mixed.reproduce ?? "", /npx perfdo run perf\/x --target/);
  });

  it("says what a local verdict stands on", () => {
    const c = claim({ localModel: "in-memory R2, one process" });
    const row = judgeClaims({ claims: [c] }, [...run("a", 15, 1), ...run("b", 15, 2), ...run("c", 15, 3)])[0] as ClaimRow;
    assert.equal(row.evidence, "local");
    assert.match(consoleClaims({ claims: [c] }, [row]), /holds — local model: in-memory R2, one process/);
    assert.match(markdownClaims({ claims: [c] }, [row]), /127\.0\.0\.1:8787/, "each run's addresses on the customer page");
    assert.equal(judgeClaims({ claims: [claim()] }, [])[0]?.verdict, "not measured");
  });

  it("refuses a ledger whose range is upside down, or whose ids repeat", () => {
    assert.equal(LedgerSchema.safeParse({ claims: [claim({ expected: { min: 20, max: 10, unit: "ms" } })] }).success, false);
    assert.equal(LedgerSchema.safeParse({ claims: [claim(), claim()] }).success, false);
    assert.equal(LedgerSchema.safeParse({ claims: [claim()] }).success, true);
  });
});
