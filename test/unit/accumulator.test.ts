import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXACT_CAP, LatencyAccumulator, RESERVOIR_SIZE } from "../../lib/node/results/accumulator";
import { latencyStats } from "../../lib/node/results/stats";

/** Log-normal latencies (median 2 ms, long tail), reproducible. */
function latencies(n: number, seed = 7): number[] {
  let s = seed;
  const random = (): number => ((s = (s * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: n }, () => Math.exp(Math.log(2) + 0.8 * Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random())));
}

function relativeErrors(actual: Record<string, number>, expected: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(expected).map((k) => [k, Math.abs((actual[k] as number) / (expected[k] as number) - 1)]));
}

describe("latency accumulator", () => {
  it("is exact (identical to the sorted-array statistics) up to its cap", () => {
    const samples = latencies(20_000);
    const acc = new LatencyAccumulator();
    for (const x of samples) acc.record(x);
    assert.equal(acc.isExact, true);
    assert.deepEqual(acc.stats(), latencyStats(samples));
  });

  it("stays within 0.1 % of exact percentiles once past the cap, with exact min/max/mean/stddev", () => {
    const samples = latencies(EXACT_CAP * 3);
    const acc = new LatencyAccumulator();
    for (const x of samples) acc.record(x);
    assert.equal(acc.isExact, false);
    const exact = latencyStats(samples) as unknown as Record<string, number>;
    const errors = relativeErrors(acc.stats() as unknown as Record<string, number>, exact);
    for (const [stat, err] of Object.entries(errors)) assert.ok(err <= 0.001, `${stat} off by ${(err * 100).toFixed(4)} %`);
    assert.ok((errors.min as number) === 0 && (errors.max as number) === 0);
    assert.ok((errors.mean as number) < 1e-9 && (errors.stddev as number) < 1e-9);
  });

  it("merges into exactly the union of samples, exact or histogram", () => {
    for (const [a, b] of [[30_000, 20_000], [EXACT_CAP, 50_000]] as const) {
      const samples = latencies(a + b, 11);
      const left = new LatencyAccumulator();
      const right = new LatencyAccumulator();
      samples.slice(0, a).forEach((x) => left.record(x));
      samples.slice(a).forEach((x) => right.record(x));
      left.merge(right);
      const exact = latencyStats(samples) as unknown as Record<string, number>;
      const errors = relativeErrors(left.stats() as unknown as Record<string, number>, exact);
      for (const [stat, err] of Object.entries(errors)) assert.ok(err <= 0.001, `${a}+${b}: ${stat} off by ${err}`);
      assert.equal(left.count, a + b);
    }
  });

  it("keeps a bounded, representative sample for rank tests", () => {
    const samples = latencies(200_000, 3);
    const acc = new LatencyAccumulator();
    for (const x of samples) acc.record(x);
    const kept = acc.samples();
    assert.equal(kept.length, RESERVOIR_SIZE);
    const keptMedian = latencyStats(kept)?.p50 as number;
    assert.ok(Math.abs(keptMedian / (latencyStats(samples)?.p50 as number) - 1) < 0.05, `reservoir median ${keptMedian}`);
  });

  it("has no latency to report before any sample", () => {
    assert.equal(new LatencyAccumulator().stats(), null);
  });
});
