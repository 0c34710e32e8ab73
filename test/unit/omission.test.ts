import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LatencyAccumulator } from "../../lib/node/results/accumulator";
import { toBenchmarkResults } from "../../lib/node/results/convert";
import { correctionOf, correctLatency, DropWaits, NOT_OPEN_MODEL, NO_TIMES } from "../../lib/node/results/omission";
import { emptyRawRun, mergeRawRuns, operation } from "../../lib/node/results/raw-run";
import { compileThresholds } from "../../lib/node/thresholds/compile";
import { closeVacuousThresholds } from "../../lib/node/thresholds/evaluate";
import { ThresholdsFileSchema } from "../../lib/node/thresholds/schema";

const accumulator = (values: number[]): LatencyAccumulator => {
  const acc = new LatencyAccumulator();
  for (const v of values) acc.record(v);
  return acc;
};

describe("drop waits", () => {
  it("a drop waits for the first response of its own scenario that completed after it", () => {
    const waits = new DropWaits();
    waits.completion("a", 100); // before any drop: nothing to answer
    waits.drop("a", 1_000);
    waits.drop("a", 1_200);
    waits.drop("b", 1_100);
    waits.completion("a", 900); // completed before the drops were due: not a free VU for them
    waits.completion("b", 1_500);
    waits.completion("a", 2_000);
    waits.drop("a", 2_500);
    assert.deepEqual(waits.finish(3_000), [
      { scenario: "b", waitMs: 400 },
      { scenario: "a", waitMs: 1_000 },
      { scenario: "a", waitMs: 800 },
      { scenario: "a", waitMs: 500 }, // never answered: it waited at least until the run ended
    ]);
  });
});

describe("corrected latency", () => {
  it("back-fills each drop with its wait plus the median service time, in the operation's share of an iteration", () => {
    const op = { latency: accumulator([1, 2, 3, 4, 5]), scenario: "s" };
    const waits = [100, 200, 300, 400].map((waitMs) => ({ scenario: "s", waitMs }));
    // 5 requests in 10 iterations: one request every other dropped iteration.
    const half = correctLatency(op, [...waits, { scenario: "other", waitMs: 9_999 }], 10);
    assert.equal(half.omitted, 2);
    assert.equal(half.latency.count, 7);
    assert.equal(half.latency.max, 403);
    // One request per iteration: one per drop.
    const whole = correctLatency(op, waits, 5);
    assert.equal(whole.omitted, 4);
    assert.deepEqual([whole.latency.min, whole.latency.max], [1, 403]);
    assert.equal(op.latency.count, 5, "the service times are left as they are");
  });

  it("keeps every drop of an overloaded run through a merge (bench:overhead's run drops 330,000 in 8 s)", () => {
    const run = { ...emptyRawRun(), droppedIterations: 400_000, dropWaits: Array.from({ length: 400_000 }, () => ({ scenario: "s", waitMs: 1 })) };
    assert.equal(mergeRawRuns([run, emptyRawRun()]).dropWaits.length, 400_000);
  });

  it("does not apply to a closed-model run, nor to a capture of histograms", () => {
    const closed = emptyRawRun();
    operation(closed, { name: "x", scenario: "s" }).latency.record(1);
    assert.deepEqual(correctionOf(closed, operation(closed, { name: "x" })), { applies: false, reason: NOT_OPEN_MODEL });
    const histograms = { ...emptyRawRun(), openModel: true, timed: false };
    operation(histograms, { name: "x", scenario: "s" }).latency.record(1);
    assert.deepEqual(correctionOf(histograms, operation(histograms, { name: "x" })), { applies: false, reason: NO_TIMES });
    // An ingested capture (no VU pool known, nothing dropped): its k6 scenario is named after its profile.
    const ingested = emptyRawRun();
    operation(ingested, { name: "x", scenario: "sustain" }).latency.record(1);
    assert.equal(correctionOf(ingested, operation(ingested, { name: "x" })).applies, true);
  });

  it("result lines carry it, or say it does not apply; a corrected limit on a closed-model run fails and says why", () => {
    const raw = emptyRawRun();
    raw.iterations = 3;
    raw.scenarioIterations = { s: 3 };
    const op = operation(raw, { name: "x", scenario: "s" });
    for (const v of [1, 2, 3]) op.latency.record(v);
    const ctx = { scenario: "t/x", profile: "sustain", targetKind: "local" as const, fallbackHost: "x.perf.do", startedAt: new Date(0), k6Version: "v2", runId: "r" };
    const [closedLine] = toBenchmarkResults(raw, null, ctx);
    assert.deepEqual(closedLine?.corrected, { applies: false, reason: NOT_OPEN_MODEL });

    const file = ThresholdsFileSchema.parse({ operations: { x: { p99: { of: "corrected", acceptable: 50 } } } });
    const compiled = compileThresholds(file);
    assert.deepEqual(compiled["perfdo_corrected{name:x}"], ["p(99)<50"]);
    assert.equal(compiled["http_req_duration{name:x,expected_response:true}"], undefined, "a corrected limit is not k6's");
    const closed = closeVacuousThresholds({ byOperation: new Map(), scenarioWide: [] }, compiled, raw);
    assert.equal(closed.report.byOperation.get("x")?.[0]?.ok, false);
    assert.match(closed.problems.join("\n"), /x: corrected latency does not apply \(closed model/);

    const open = { ...raw, openModel: true, droppedIterations: 1, dropWaits: [{ scenario: "s", waitMs: 100 }], operations: new Map(raw.operations) };
    const [openLine] = toBenchmarkResults(open, null, { ...ctx, vus: { preAllocated: 1, max: 1, sizedBy: "flags" } });
    assert.ok(openLine?.corrected && "model" in openLine.corrected);
    assert.deepEqual([openLine.corrected.omitted, openLine.corrected.max], [1, 102]);
  });
});
