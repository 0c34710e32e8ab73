import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSaturated } from "../../lib/node/run/saturation";

const k6 = (cpuMean: number) => ({ cpuMean, cpuPeak: cpuMean, rssMeanMB: 40, rssPeakMB: 40, processes: 1, samples: 5 });

describe("generator saturation", () => {
  it("is its CPU at 80 % of what it can use, or a tenth of its ticks over 25 ms late", () => {
    assert.equal(isSaturated(k6(79), 100), false);
    assert.equal(isSaturated(k6(80), 100), true);
    // Below the CPU mark, but its timers ran late (a machine busy with something else).
    assert.equal(isSaturated(k6(40), 200, { count: 100, late: 9, maxLagMs: 60 }), false);
    assert.equal(isSaturated(k6(40), 200, { count: 100, late: 10, maxLagMs: 60 }), true);
    assert.equal(isSaturated(undefined, undefined, { count: 100, late: 30, maxLagMs: 300 }), true, "no CPU sampled: the ticks still tell");
    assert.equal(isSaturated(k6(10), 200, { count: 0, late: 0, maxLagMs: 0 }), false);
    // A short run's few ticks: one hiccup is not a schedule falling behind.
    assert.equal(isSaturated(k6(0), 200, { count: 4, late: 1, maxLagMs: 69 }), false);
    assert.equal(isSaturated(k6(0), 200, { count: 99, late: 50, maxLagMs: 69 }), false);
    // With time lost on the line, time decides, not the count of late ticks: a busy machine's few
    // 250 ms hiccups (14 % of ticks late, 7.4 % of the time lost) is not saturated; a k6 stopped 1 s
    // in 5 s (20 % lost) is, and so is a window that lost 30 %.
    assert.equal(isSaturated(k6(40), 200, { count: 400, late: 56, maxLagMs: 268, behindShare: 0.074, worstWindowShare: 0.07 }), false);
    assert.equal(isSaturated(k6(10), 200, { count: 260, late: 60, maxLagMs: 980, behindShare: 0.2, worstWindowShare: 0.2 }), true);
    assert.equal(isSaturated(k6(10), 200, { count: 400, late: 0, maxLagMs: 980, behindShare: 0.05, worstWindowShare: 0.3 }), true);
  });
});

describe("time behind schedule, over the load's own span", () => {
  // A capture whose setup() (no scenario tag) fell 900 ms behind in each of its first 3 seconds, and
  // whose load (seconds 3–7) was behind 10 ms a second: setup's delay delayed nothing scheduled.
  it("leaves setup() out, and counts what the load's seconds lost", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { readPerfdoOutput } = await import("../../lib/node/results/perfdo-output");
    const lines = [
      "#perfdo-raw 1 1700000000000",
      'S 0 http_req_duration {"group":"::setup","name":"stage","expected_response":"true"}',
      'S 1 http_req_duration {"scenario":"sustain","name":"get","expected_response":"true"}',
      "0 500000 5",
      ...[3, 4, 5, 6, 7].map((sec) => `1 ${sec * 1_000_000 + 100_000} 2`),
      "T 160 40 900000 2750000",
      ...[0, 1, 2].map((sec) => `W ${sec} 900000`),
      ...[3, 4, 5, 6, 7].map((sec) => `W ${sec} 10000`),
      "E 8000000",
    ];
    const file = join(mkdtempSync(join(tmpdir(), "perfdo-behind-")), "raw.perfdo");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const run = await readPerfdoOutput(file);
    assert.equal(run.ticks?.behindMs, 50, "the load's five seconds, 10 ms each");
    assert.equal(run.ticks?.wallMs, 5_000);
    assert.equal(run.ticks?.worstWindow, 0.01, "no window holds setup's 2.7 s");
  });
});
