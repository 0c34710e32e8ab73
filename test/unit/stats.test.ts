import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { latencyStats, meanAndStddev, percentile } from "../../lib/node/results/stats";

describe("latency statistics", () => {
  it("interpolates percentiles between closest ranks like k6", () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 50), 5.5);
    assert.ok(Math.abs(percentile(sorted, 95) - 9.55) < 1e-12);
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile(sorted, 100), 10);
    assert.equal(percentile([42], 99), 42);
  });

  it("computes the population standard deviation", () => {
    // 2,4,4,4,5,5,7,9: mean 5, population stddev exactly 2.
    assert.deepEqual(meanAndStddev([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, stddev: 2 });
  });

  it("stays exact for tightly clustered large values (no catastrophic cancellation)", () => {
    const samples = Array.from({ length: 10_000 }, (_, i) => 1e9 + (i % 2));
    const { stddev } = meanAndStddev(samples);
    assert.ok(Math.abs(stddev - 0.5) < 1e-6, `stddev ${stddev}`);
  });

  it("reports no latency, not zeros, when there are no samples", () => {
    assert.equal(latencyStats([]), null);
  });

  it("summarises unsorted samples", () => {
    const stats = latencyStats([5, 1, 3, 2, 4]);
    assert.ok(stats);
    const expected = { p50: 3, p95: 4.8, p99: 4.96, min: 1, max: 5, mean: 3, stddev: Math.sqrt(2) };
    for (const [key, value] of Object.entries(expected)) {
      assert.ok(Math.abs(stats[key as keyof typeof stats] - value) < 1e-12, `${key}: ${stats[key as keyof typeof stats]}`);
    }
  });
});
