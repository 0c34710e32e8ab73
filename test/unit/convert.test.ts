import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { toBenchmarkResults, type RunContext } from "../../lib/node/results/convert";
import { readRawOutput } from "../../lib/node/results/k6-output";
import { readK6Summary, testRunSeconds } from "../../lib/node/results/k6-summary";
import { BenchmarkResultSchema } from "../../lib/node/results/schema";

// Fixtures are real k6 v2 runs against the real local Worker: `npm run fixtures:capture`.
const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "k6");

interface Meta {
  scenario: string;
  iterationsPerVu: number;
  k6Version: string;
  k6ExitCode: number;
  workerServed: Record<string, number>;
}

async function load(name: string) {
  const dir = join(FIXTURES, name);
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta;
  const raw = await readRawOutput(join(dir, "raw.json.gz"));
  const summary = readK6Summary(join(dir, "summary.json"));
  const ctx: RunContext = {
    scenario: meta.scenario,
    profile: "smoke",
    targetKind: "local",
    fallbackHost: "perf.do",
    startedAt: new Date("2026-11-23T12:00:00Z"),
    k6Version: meta.k6Version,
    runId: `fixture-${name}`,
  };
  return { meta, raw, summary, results: toBenchmarkResults(raw, summary, ctx) };
}

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs k6 ${expected}`);

describe("k6 output → BenchmarkResult", () => {
  it("one valid line per operation, with iterations matching what the Worker served", async () => {
    const { meta, results } = await load("things-smoke");
    assert.deepEqual(results.map((r) => r.name), ["things.create", "things.delete", "things.get", "things.list", "things.update"]);
    for (const r of results) {
      BenchmarkResultSchema.parse(r);
      assert.equal(r.iterations, meta.iterationsPerVu);
      assert.equal(r.errors, 0);
      assert.equal(r.target, "stores.perf.do");
      assert.equal(r.coloServed, "local");
      assert.equal(r.thresholdsPassed, true);
    }
    const served = Object.values(meta.workerServed).reduce((a, b) => a + b, 0);
    assert.equal(results.reduce((sum, r) => sum + r.iterations, 0), served);
  });

  it("agrees exactly with k6's own summary on p50/p95/p99/min/max/mean", async () => {
    const { summary, results } = await load("things-smoke");
    for (const r of results) {
      const k6 = summary.metrics[`http_req_duration{name:${r.name},expected_response:true}`] as Record<string, number>;
      assert.ok(k6, `summary has ${r.name}`);
      assert.ok(r.latency);
      close(r.latency.p50, k6.med as number, `${r.name} p50`);
      close(r.latency.p95, k6["p(95)"] as number, `${r.name} p95`);
      close(r.latency.p99, k6["p(99)"] as number, `${r.name} p99`);
      close(r.latency.min, k6.min as number, `${r.name} min`);
      close(r.latency.max, k6.max as number, `${r.name} max`);
      close(r.latency.mean, k6.avg as number, `${r.name} mean`);
    }
  });

  it("computes the true standard deviation of the samples", async () => {
    const { raw, results } = await load("things-smoke");
    for (const r of results) {
      const samples = raw.operations.get(r.name)?.latency.samples() ?? [];
      assert.equal(samples.length, r.iterations, "small runs keep every sample");
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      const variance = samples.reduce((a, x) => a + (x - mean) ** 2, 0) / samples.length;
      assert.ok(r.latency && r.latency.stddev > 0);
      close(r.latency.stddev, Math.sqrt(variance), `${r.name} stddev`);
    }
  });

  it("derives rps from k6's test-run duration", async () => {
    const { summary, results } = await load("things-smoke");
    const seconds = testRunSeconds(summary);
    assert.ok(seconds && seconds > 0);
    for (const r of results) close(r.rps, r.iterations / seconds, `${r.name} rps`);
  });

  it("records breached thresholds per operation and scenario-wide", async () => {
    const { meta, results } = await load("echo-breach");
    assert.equal(meta.k6ExitCode, 99);
    const ping = results.find((r) => r.name === "echo.ping");
    assert.ok(ping);
    assert.equal(ping.thresholdsPassed, false);
    assert.deepEqual(
      ping.thresholds.find((t) => t.scope === "operation"),
      { metric: "http_req_duration{name:echo.ping,expected_response:true}", threshold: "p(50)<0.001", ok: false, scope: "operation" },
    );
    const echo = results.find((r) => r.name === "echo.echo-1kb");
    assert.equal(echo?.thresholdsPassed, true, "operations without a breached threshold pass");
  });

  it("never reports healthy latency for a run in which every request failed", async () => {
    const { results } = await load("echo-all-failed");
    assert.equal(results.length, 4);
    for (const r of results) {
      assert.equal(r.latency, null, `${r.name} has no latency`);
      assert.equal(r.errors, r.iterations);
      assert.equal(r.errorRate, 1);
      assert.equal(r.thresholdsPassed, false);
    }
  });

  it("rejects a result whose latency contradicts its error count", async () => {
    const { results } = await load("things-smoke");
    const good = results[0];
    assert.ok(good);
    const allFailedButTimed = BenchmarkResultSchema.safeParse({ ...good, errors: good.iterations, errorRate: 1 });
    assert.equal(allFailedButTimed.success, false);
    assert.match(JSON.stringify(allFailedButTimed.error?.issues), /latency must be null exactly when no request succeeded/);
    assert.equal(BenchmarkResultSchema.safeParse({ ...good, latency: null }).success, false);
  });
});
