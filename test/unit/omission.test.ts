import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LatencyAccumulator } from "../../lib/node/results/accumulator";
import { toBenchmarkResults } from "../../lib/node/results/convert";
import { correctionOf, correctLatency, NOT_OPEN_MODEL, NO_TIMES, TimelineRecorder, type ScenarioTimeline } from "../../lib/node/results/omission";
import { emptyRawRun, mergeRawRuns, operation } from "../../lib/node/results/raw-run";
import { compileThresholds } from "../../lib/node/thresholds/compile";
import { closeVacuousThresholds } from "../../lib/node/thresholds/evaluate";
import { ThresholdsFileSchema } from "../../lib/node/thresholds/schema";

const accumulator = (values: number[]): LatencyAccumulator => {
  const acc = new LatencyAccumulator();
  for (const v of values) acc.record(v);
  return acc;
};

/** A timeline of one operation `x` of scenario `s`: responses [sent, latency] and drop due times. */
function timeline(responses: Array<[number, number]>, drops: number[]): ScenarioTimeline {
  const t = new TimelineRecorder();
  for (const [sent, latency] of responses) t.response("s", "x", sent + latency, latency);
  for (const d of drops) t.drop("s", d);
  return t.timelines.get("s") as ScenarioTimeline;
}

describe("corrected latency", () => {
  // A stall of 1,000 ms at 0: 6 requests sent at 0–100 ms held to its end and released together
  // (2 ms service); 35 drops due over the stall; then the freed VUs send on time again.
  const stalled: Array<[number, number]> = [0, 20, 40, 60, 80, 100].map((s) => [s, 1_002 - s]);
  const after: Array<[number, number]> = Array.from({ length: 40 }, (_, i) => [1_002 + i * 25, 2]);
  const drops = Array.from({ length: 35 }, (_, i) => 125 + i * 25);

  it("on a target that releases a stall at once, each missing user waits until the stall's end", () => {
    const t = timeline([...stalled, ...after], drops);
    const c = correctLatency({ latency: accumulator([...stalled, ...after].map(([, l]) => l)), key: "x" }, t, 1);
    assert.equal(c.target, "parallel", "the held responses completed together");
    assert.equal(c.omitted, 35);
    // Truth for a user due at d: 1,002 − d. The interpolation between the last send before and the first after gives it within a send's spacing.
    assert.ok(Math.abs((c.latency.max as number) - 1_002) < 30, `${c.latency.max}`);
    // 81 values: 40 at 2 ms, the 35 missing at 1,002 − d (27 … 877), the 6 held (902 … 1,002). The
    // truth's p95 is the held 922; its p60, a missing user's 227 (waiting as if for the last held request: ~900).
    assert.ok(Math.abs((c.latency.percentile(95) as number) - 922) < 30, `p95 ${c.latency.percentile(95)}`);
    assert.ok(Math.abs((c.latency.percentile(60) as number) - 227) < 30, `p60 ${c.latency.percentile(60)}`);
  });

  it("a busy machine's jitter between responses released together is not a queue", () => {
    // The same stall, its held 2 ms responses reaching k6 12 ms apart (a loaded machine), and the
    // requests after it slowed to 5 ms: gaps far above a service time are jitter, not a drain.
    const jittered: Array<[number, number]> = [0, 20, 40, 60, 80, 100].map((s, i) => [s, 1_002 + 12 * i - s]);
    const slowed: Array<[number, number]> = Array.from({ length: 40 }, (_, i) => [1_080 + i * 25, i < 4 ? 2 : 5]);
    const t = timeline([...jittered, ...slowed], drops);
    const c = correctLatency({ latency: accumulator([...jittered, ...slowed].map(([, l]) => l)), key: "x" }, t, 1);
    assert.equal(c.target, "parallel", "12 ms gaps against a 2 ms fastest latency");
  });

  it("on a serial target, the missing users queue one by one and delay the requests after them", () => {
    // 20 ms per request, one at a time: the 6 held leave 20 ms apart after the stall, then the rest.
    const held: Array<[number, number]> = [0, 20, 40, 60, 80, 100].map((s, i) => [s, 1_000 + 20 * (i + 1) - s]);
    const later: Array<[number, number]> = Array.from({ length: 40 }, (_, i) => [1_120 + i * 25, 20]);
    const t = timeline([...held, ...later], drops);
    const c = correctLatency({ latency: accumulator([...held, ...later].map(([, l]) => l)), key: "x" }, t, 1);
    assert.equal(c.target, "serial", "overlapping completions 20 ms apart: one at a time");
    // The first missing user (due at 125) leaves after the 6 held: 1,140, waiting 1,015 ms; the last
    // (due at 975) after them and the 34 before it: 1,820, waiting 845 ms where the stall alone says 25.
    const lastDue = drops[drops.length - 1] as number;
    assert.ok(Math.abs((c.latency.max as number) - (1_140 - 125)) < 30, `${c.latency.max}`);
    assert.ok((c.latency.percentile(60) as number) > 1_000 - lastDue + 100, "not only the stall: the queue ahead too");
    // The requests sent after the stall wait behind the backlog: the first of them leaves at ~1,840.
    assert.ok((c.latency.percentile(50) as number) > 100, `${c.latency.percentile(50)}`);
  });

  it("on a slow target with any number at once, a missing user sees the same 500 ms, no wait for a VU", () => {
    // 5 VUs, 500 ms each, sending as each frees: 10/s sent, 30/s dropped.
    const sent: Array<[number, number]> = Array.from({ length: 50 }, (_, i) => [Math.floor(i / 5) * 500 + (i % 5) * 100, 500]);
    const missing = Array.from({ length: 150 }, (_, i) => 10 + i * (5_000 / 150));
    const t = timeline(sent, missing);
    const c = correctLatency({ latency: accumulator(sent.map(([, l]) => l)), key: "x" }, t, 1);
    assert.equal(c.target, "parallel");
    assert.equal(c.omitted, 150);
    assert.ok(Math.abs((c.latency.percentile(99) as number) - 500) < 5, `${c.latency.percentile(99)}`);
  });

  it("gives bounds, parallel below and serial above, when the responses cannot tell the kind", () => {
    // No two requests ever in flight together: nothing shows how the target serves several.
    const sent: Array<[number, number]> = Array.from({ length: 20 }, (_, i) => [i * 100, 50]);
    const t = timeline(sent, [30, 31, 32, 33, 34, 35]);
    const c = correctLatency({ latency: accumulator(sent.map(([, l]) => l)), key: "x" }, t, 1);
    assert.equal(c.target, "unknown");
    assert.ok(c.bounds, JSON.stringify(c));
    assert.ok(c.bounds.p99[0] <= c.bounds.p99[1] && c.bounds.p99[1] > c.bounds.p99[0], JSON.stringify(c.bounds));
    assert.equal(c.latency.percentile(99), c.bounds.p99[0], "the figures are the parallel end's");
  });

  it("back-fills in the operation's share of an iteration, and leaves the service times as they are", () => {
    const sent: Array<[number, number]> = [[0, 10], [100, 10], [200, 10], [300, 10]];
    const t = timeline(sent, [50, 60, 70, 80]);
    const op = { latency: accumulator(sent.map(([, l]) => l)), key: "x" };
    assert.equal(correctLatency(op, t, 0.5).omitted, 2);
    assert.equal(correctLatency(op, t, 1).omitted, 4);
    assert.equal(op.latency.count, 4);
  });

  it("keeps every drop of an overloaded run through a merge (bench:overhead's run drops 330,000 in 8 s)", () => {
    const run = emptyRawRun();
    run.droppedIterations = 400_000;
    const recorder = new TimelineRecorder();
    for (let i = 0; i < 400_000; i++) recorder.drop("s", i);
    run.timelines = recorder.timelines;
    assert.equal(mergeRawRuns([run, emptyRawRun()]).timelines.get("s")?.drops.length, 400_000);
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

    const recorder = new TimelineRecorder();
    [1, 2, 3].forEach((v, i) => recorder.response("s", "x", i * 10 + v, v));
    recorder.drop("s", 15);
    const open = { ...raw, openModel: true, droppedIterations: 1, timelines: recorder.timelines, operations: new Map(raw.operations) };
    const [openLine] = toBenchmarkResults(open, null, { ...ctx, vus: { preAllocated: 1, max: 1, sizedBy: "flags" } });
    assert.ok(openLine?.corrected && "model" in openLine.corrected && openLine.corrected.model === "omission");
    assert.equal(openLine.corrected.omitted, 1);
  });
});
