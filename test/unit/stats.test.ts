import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { latencyStats, meanAndStddev, medianInterval, percentile } from "../../lib/node/results/stats";

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

describe("medianInterval (bench:overhead's interval for the median ratio)", () => {
  it("takes the 2nd smallest and 2nd largest of 9 rounds (96 % coverage)", () => {
    const ci = medianInterval([0.9, 1.2, 0.8, 0.95, 1.0, 0.7, 1.1, 0.85, 0.92]);
    assert.deepEqual(ci && { low: ci.low, high: ci.high }, { low: 0.8, high: 1.1 });
    assert.ok(ci && Math.abs(ci.coverage - (1 - 20 / 512)) < 1e-12);
  });
  it("has no 95 % interval from 5 rounds, and min–max from 6", () => {
    assert.equal(medianInterval([1, 2, 3, 4, 5]), null);
    assert.deepEqual(medianInterval([6, 1, 5, 2, 4, 3])?.low, 1);
    assert.deepEqual(medianInterval([6, 1, 5, 2, 4, 3])?.high, 6);
  });
  it("widens to k = 6 of 20 rounds", () => {
    const xs = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.deepEqual(medianInterval(xs) && [medianInterval(xs)?.low, medianInterval(xs)?.high], [6, 15]);
  });
});
