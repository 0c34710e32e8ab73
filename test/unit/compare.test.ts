import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { compareResults, worst } from "../../lib/node/compare/compare";
import { benchmarkKey } from "../../lib/node/compare/key";
import { DEFAULT_RULES, RegressionRulesSchema } from "../../lib/node/compare/rules";
import { historySpread, mannWhitney, rankSum, twoProportion } from "../../lib/node/compare/significance";
import { toBenchmarkResults } from "../../lib/node/results/convert";
import { readRawOutput } from "../../lib/node/results/k6-output";
import { readK6Summary } from "../../lib/node/results/k6-summary";
import type { BenchmarkResult } from "../../lib/node/results/schema";

const FIXTURE = join(import.meta.dirname, "..", "..", "fixtures", "k6", "things-smoke");

/** Real results and samples from the captured run; comparisons shift copies of them. */
async function realRun(): Promise<{ result: BenchmarkResult; samples: number[] }> {
  const raw = await readRawOutput(join(FIXTURE, "raw.json.gz"));
  const results = toBenchmarkResults(raw, readK6Summary(join(FIXTURE, "summary.json")), {
    scenario: "stores/things", profile: "smoke", targetKind: "local", fallbackHost: "perf.do",
    startedAt: new Date("2026-11-23T12:00:00Z"), k6Version: "v2.2.0", runId: "base",
  });
  const result = results.find((r) => r.name === "things.get") as BenchmarkResult;
  return { result, samples: raw.operations.get("things.get")?.latency.samples() ?? [] };
}

function scaled(r: BenchmarkResult, factor: number, runId: string): BenchmarkResult {
  const l = r.latency as NonNullable<BenchmarkResult["latency"]>;
  return { ...r, runId, latency: { p50: l.p50 * factor, p95: l.p95 * factor, p99: l.p99 * factor, min: l.min * factor, max: l.max * factor, mean: l.mean * factor, stddev: l.stddev * factor } };
}

describe("significance tests", () => {
  it("ranks with ties averaged, group by group", () => {
    // pooled sorted: 1(x) 2(y) 2(x) 3(x) 3(y) 3(y) → ranks 1, 2.5, 2.5, 5, 5, 5
    assert.deepEqual(rankSum([1, 2, 3], [2, 3, 3]), { rankSum: 1 + 2.5 + 5, tieTerm: 6 + 24 });
    assert.deepEqual(rankSum([1, 4, 8], [9, 12, 15]), { rankSum: 6, tieTerm: 0 });
  });

  const base = Array.from({ length: 200 }, (_, i) => 1 + (i % 50) / 100);
  it("Mann-Whitney finds a real shift and not a non-shift", () => {
    const slower = base.map((x) => x * 1.3);
    assert.ok((mannWhitney(slower, base, "greater", 0.05).p ?? 1) < 0.001);
    assert.equal(mannWhitney(base, base, "greater", 0.05).significant, false);
    assert.equal(mannWhitney(slower, base, "less", 0.05).significant, false, "one-sided");
    assert.match(mannWhitney([1, 2], base, "greater", 0.05).note ?? "", /too few samples/);
  });

  it("history spread needs three runs and judges against their run-to-run spread", () => {
    assert.match(historySpread(2, [1, 1.1], "greater", 0.05).note ?? "", /needs 3 runs/);
    assert.equal(historySpread(1.15, [1.0, 1.1, 0.95, 1.05, 1.0], "greater", 0.05).significant, false);
    assert.equal(historySpread(1.6, [1.0, 1.1, 0.95, 1.05, 1.0], "greater", 0.05).significant, true);
  });

  it("two-proportion test on error counts", () => {
    assert.equal(twoProportion(1, 100, 0, 100, 0.05).significant, false, "one error in a hundred is noise");
    assert.equal(twoProportion(30, 100, 0, 100, 0.05).significant, true);
  });
});

describe("regression verdicts", () => {
  it("identical runs pass every rule", async () => {
    const { result, samples } = await realRun();
    const key = benchmarkKey(result);
    const [c] = compareResults([{ ...result, runId: "now" }], new Map([[key, samples]]), { results: [result], samples: new Map([[key, samples]]) }, DEFAULT_RULES);
    assert.equal(c?.verdict, "pass");
    assert.deepEqual(c?.outcomes.map((o) => o.metric), ["mean", "p95", "errorRate"]);
  });

  it("with a one-run baseline, a significant but small-effect shift is not called a regression", async () => {
    const { result, samples } = await realRun();
    const key = benchmarkKey(result);
    // Half the samples 40 % slower: the mean moves ~20 % and ranks say "significant", but most pairs overlap.
    const shifted = samples.map((x, i) => (i % 2 === 0 ? x * 1.4 : x));
    const [c] = compareResults([scaled(result, 1.2, "now")], new Map([[key, shifted]]), { results: [result], samples: new Map([[key, samples]]) }, DEFAULT_RULES);
    const mean = c?.outcomes.find((o) => o.metric === "mean");
    assert.ok((mean?.test.effect ?? 1) < 0.71, `effect ${mean?.test.effect}`);
    assert.equal(mean?.verdict, "pass");
    assert.match(mean?.test.note ?? "", /below 0\.71 needed with < 3 baseline runs/);
  });

  it("against one baseline run: a large +30 % shift fails, -30 % is an improvement, +12 % is too small to call", async () => {
    const { result, samples } = await realRun();
    const key = benchmarkKey(result);
    const baseline = { results: [result], samples: new Map([[key, samples]]) };
    const meanFor = (factor: number) => {
      const [c] = compareResults([scaled(result, factor, "now")], new Map([[key, samples.map((x) => x * factor)]]), baseline, DEFAULT_RULES);
      return c?.outcomes.find((o) => o.metric === "mean");
    };
    assert.equal(meanFor(1.3)?.verdict, "fail");
    assert.equal(meanFor(1 / 1.3)?.verdict, "improved");
    const small = meanFor(1.12);
    assert.ok((small?.test.p ?? 1) < 0.05 && (small?.test.effect ?? 1) < 0.71, JSON.stringify(small?.test));
    assert.equal(small?.verdict, "pass");
  });

  it("against steady history, +12 % warns and +30 % fails", async () => {
    const { result, samples } = await realRun();
    const key = benchmarkKey(result);
    const steady = [1.0, 1.01, 0.99, 1.0, 1.005].map((f, i) => scaled(result, f, `h${i}`));
    const baseline = { results: steady, samples: new Map([[key, samples]]) };
    const verdictFor = (factor: number): string | undefined => {
      const [c] = compareResults([scaled(result, factor, "now")], new Map([[key, samples.map((x) => x * factor)]]), baseline, DEFAULT_RULES);
      return c?.outcomes.find((o) => o.metric === "mean")?.verdict;
    };
    assert.equal(verdictFor(1.12), "warn");
    assert.equal(verdictFor(1.3), "fail");
  });

  it("a large change without evidence of significance is not called a regression", async () => {
    const { result } = await realRun();
    const [c] = compareResults([scaled(result, 1.5, "now")], new Map(), { results: [result], samples: new Map() }, DEFAULT_RULES);
    const mean = c?.outcomes.find((o) => o.metric === "mean");
    assert.equal(mean?.verdict, "pass");
    assert.equal(mean?.note, "change within noise");
    assert.match(mean?.test.note ?? "", /needs 3 runs of history, has 1/);
  });

  it("judges against history spread when there are no samples but enough runs", async () => {
    const { result } = await realRun();
    const history = [1.0, 1.04, 0.97, 1.02, 0.99].map((f, i) => scaled(result, f, `h${i}`));
    const [c] = compareResults([scaled(result, 1.4, "now")], new Map(), { results: history, samples: new Map() }, DEFAULT_RULES);
    assert.equal(c?.verdict, "fail");
    assert.equal(c?.baselineRuns, 5);
    assert.equal(c?.outcomes.find((o) => o.metric === "mean")?.test.test, "history-spread");
  });

  it("with samples and 3+ runs of history, a change must beat both the rank test and the run-to-run spread", async () => {
    const { result, samples } = await realRun();
    const key = benchmarkKey(result);
    // Runs that wander ±25 % from one another: a +20 % run is significant by ranks but not unusual.
    const noisy = [1.0, 1.25, 0.8, 1.2, 0.85].map((f, i) => scaled(result, f, `h${i}`));
    const baseline = { results: noisy, samples: new Map([[key, samples]]) };
    const [c] = compareResults([scaled(result, 1.25, "now")], new Map([[key, samples.map((x) => x * 1.25)]]), baseline, DEFAULT_RULES);
    const mean = c?.outcomes.find((o) => o.metric === "mean");
    assert.ok((mean?.test.p ?? 1) < 0.05, "the rank test alone would call it");
    assert.equal(mean?.verdict, "pass");
    assert.match(mean?.test.note ?? "", /history spread: within/);
    // A 3x slowdown stands out from both.
    const [slow] = compareResults([scaled(result, 3, "now")], new Map([[key, samples.map((x) => x * 3)]]), baseline, DEFAULT_RULES);
    assert.equal(slow?.verdict, "fail");
  });

  it("a run with no successful responses fails its latency rules", async () => {
    const { result } = await realRun();
    const dead: BenchmarkResult = { ...result, runId: "now", latency: null, errors: result.iterations, errorRate: 1 };
    const [c] = compareResults([dead], new Map(), { results: [result], samples: new Map() }, DEFAULT_RULES);
    assert.equal(c?.verdict, "fail");
    assert.equal(c?.outcomes.find((o) => o.metric === "errorRate")?.verdict, "warn", "errorRate has no fail level by default");
  });

  it("skips benchmarks with nothing comparable before them", async () => {
    const { result } = await realRun();
    const [c] = compareResults([{ ...result, profile: "spike" }], new Map(), { results: [result], samples: new Map() }, DEFAULT_RULES);
    assert.equal(c?.verdict, "skipped");
    assert.equal(worst(["pass", "warn", "improved"]), "warn");
  });

  it("rules files are validated", () => {
    assert.equal(RegressionRulesSchema.safeParse({ rules: { mean: { warn: 0.2, fail: 0.1 } } }).success, false);
    assert.equal(RegressionRulesSchema.safeParse({ rules: {} }).success, false);
    assert.equal(RegressionRulesSchema.safeParse({ rules: { p99: { warn: 0.3 } }, alpha: 0.02 }).success, false);
  });
});
