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
  });
});
