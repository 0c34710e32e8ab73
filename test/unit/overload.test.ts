import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildProfile, iterationCeilingMs, sizeVUs } from "../../lib/k6/profile";
import { releaseTime } from "../../lib/node/calibrate/server";
import { readRawOutput } from "../../lib/node/results/k6-output";
import { readK6Summary, thresholdOutcomes } from "../../lib/node/results/k6-summary";
import { droppedWarning } from "../../lib/node/results/table";
import { compileThresholds } from "../../lib/node/thresholds/compile";
import { closeVacuousThresholds, evaluateThresholds } from "../../lib/node/thresholds/evaluate";
import { ThresholdsFileSchema } from "../../lib/node/thresholds/schema";

// Honest numbers under overload: dropped iterations, VU sizing, thresholds that cannot pass on
// nothing, and the perfdo raw format (read against k6's own JSON output of the same run).

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "k6");

describe("the perfdo raw format", () => {
  for (const [name, op, host] of [["things-dual", "things.create", "stores.perf.do"], ["replicate-measured", "replicate.lag", "replicate-perf-1.perf.do"]] as const) {
    it(`${name}: reads exactly what k6's JSON output of the same k6 process says`, async () => {
      const json = await readRawOutput(join(FIXTURES, name, "raw.json.gz"));
      const perfdo = await readRawOutput(join(FIXTURES, name, "raw.perfdo"));
      assert.deepEqual([...perfdo.operations.keys()].sort(), [...json.operations.keys()].sort());
      for (const [op, samples] of json.operations) {
        const twin = perfdo.operations.get(op);
        assert.deepEqual(twin?.latency.stats(), samples.latency.stats(), `${op}: identical statistics`);
        assert.equal(twin?.failures, samples.failures, `${op}: failures`);
        assert.equal(twin?.measured, samples.measured, `${op}: measured latencies`);
      }
      assert.deepEqual(perfdo.checks, json.checks);
      assert.deepEqual([...perfdo.hosts].sort(), [...json.hosts].sort());
      assert.equal(perfdo.hosts.get(op), host, "each operation's host, announced once per VU");
      assert.equal(perfdo.iterations, json.iterations);
      assert.ok(perfdo.iterations > 0);
      assert.equal(perfdo.droppedIterations, json.droppedIterations);
      // k6's JSON times are µs-rounded RFC 3339; the perfdo format counts µs from the output's start.
      assert.ok(Math.abs((perfdo.firstSampleMs ?? 0) - (json.firstSampleMs ?? 0)) < 2);
    });
  }

  it("counts measured operations that failed (perfdo_failure) in both formats", async () => {
    for (const file of ["raw.json.gz", "raw.perfdo"]) {
      const run = await readRawOutput(join(FIXTURES, "ws-refused", file));
      const handshake = run.operations.get("ws.handshake");
      assert.equal(handshake?.failures, 2, `${file}: both sockets failed to open`);
      assert.equal(handshake?.latency.count, 0, file);
    }
  });

  it("refuses a file that was cut short, naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-raw-"));
    const file = join(dir, "cut.perfdo");
    writeFileSync(file, '#perfdo-raw 1 1700000000000\nS 0 http_req_duration {"name":"a","expected_response":"true"}\n0 10 1.5\n');
    await assert.rejects(readRawOutput(file), /cut\.perfdo: cut short \(no end line\)/);
    writeFileSync(file, "#perfdo-raw 1 1700000000000\n0 10 1.5\nE 20\n");
    await assert.rejects(readRawOutput(file), /cut\.perfdo:2: series 0 is used before it is declared/);
  });

  it("reads a file cut short by a killed k6 for what it holds, when asked: every whole sample, not a torn last line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-raw-"));
    const file = join(dir, "killed.perfdo");
    // Three whole samples, then the start of a fourth: the buffer reached the file mid-line, then SIGKILL.
    writeFileSync(file, '#perfdo-raw 1 1700000000000\nS 0 http_req_duration {"name":"a","expected_response":"true"}\n0 10 1.5\n0 20 2.5\n0 30 3.5\n0 4');
    await assert.rejects(readRawOutput(file), /killed\.perfdo:6: not a sample line/, "not asked: refused");
    const raw = await readRawOutput(file, { cutShort: true });
    assert.equal(raw.operations.get("a")?.latency.count, 3);
  });
});

describe("VU sizing (Little's law)", () => {
  it("with nothing known, pre-allocates the profile's default or what a healthy run's stall needs, whichever is more", () => {
    assert.deepEqual(sizeVUs({ vus: 10, maxVUs: 100 }, 20, 20), { preAllocated: 10, max: 100 });
    // 100 it/s through a 300 ms stall: 30 VUs, where the default 10 dropped iterations in npm start.
    assert.deepEqual(sizeVUs({ vus: 10, maxVUs: 100 }, 100, 100), { preAllocated: 30, max: 100 });
  });
  it("covers the iterations in flight (rate × iteration p99 × headroom) plus a stall", () => {
    // 40 it/s and iterations of ~1 s in flight: 40 VUs busy; twice that plus 12 (300 ms at 40 it/s) pre-allocated, four times plus 12 at most.
    assert.deepEqual(sizeVUs({ vus: 10, maxVUs: 100 }, 40, 40, { expectedMs: 1000 }), { preAllocated: 92, max: 172 });
  });
  it("raises the maximum to what the thresholds' ceiling needs, and caps both", () => {
    assert.deepEqual(sizeVUs({ vus: 10, maxVUs: 100 }, 100, 100, { ceilingMs: 2300 }), { preAllocated: 30, max: 230 });
    assert.deepEqual(sizeVUs({ vus: 10, maxVUs: 100 }, 5000, 5000, { expectedMs: 2000 }), { preAllocated: 1000, max: 2000 });
  });
  it("never overrides VU counts given by flags or env", () => {
    const s = buildProfile("sustain", { rate: 40, vus: 5, maxVUs: 5 }, { expectedMs: 1000 });
    assert.equal(s.executor === "constant-arrival-rate" && `${s.preAllocatedVUs}/${s.maxVUs}`, "5/5");
  });
  it("reads the iteration ceiling from compiled thresholds: each operation's highest limit, summed", () => {
    const compiled = compileThresholds(
      ThresholdsFileSchema.parse({ operations: { "*": { errorRate: 0.01 }, a: { p50: 10, p99: 500 }, b: { p95: 300 } } }),
    );
    assert.equal(iterationCeilingMs(compiled), 800);
    assert.equal(iterationCeilingMs({ checks: ["rate>=0.99"] }), undefined);
  });
});

describe("thresholds cannot pass vacuously", () => {
  it("a threshold on an operation that never ran fails, suggesting the closest that did", async () => {
    const dir = join(FIXTURES, "echo-breach");
    const raw = await readRawOutput(join(dir, "raw.json.gz"));
    const compiled = compileThresholds(ThresholdsFileSchema.parse({ operations: { "echo.pingg": { p95: 1 }, "echo.ping": { p99: 10_000 } } }));
    const k6Report = thresholdOutcomes(readK6Summary(join(dir, "summary.json")));
    const { report, problems } = closeVacuousThresholds(k6Report, compiled, raw);
    assert.deepEqual(problems, ['thresholds: operation "echo.pingg" produced no samples (did you mean echo.ping?); its thresholds fail']);
    const typo = report.scenarioWide.find((t) => t.metric.includes("echo.pingg"));
    assert.equal(typo?.ok, false);
    assert.equal(typo?.threshold, "p(95)<1");
    assert.equal(report.byOperation.has("echo.pingg"), false);
  });

  it("overrules k6's own vacuous pass on an operation that never ran", async () => {
    const raw = await readRawOutput(join(FIXTURES, "echo-breach", "raw.json.gz"));
    const metric = "http_req_duration{name:echo.pingg,expected_response:true}";
    const compiled = { [metric]: ["p(95)<1"] };
    // What k6 reports for such a threshold: passed, on no samples (k6 issue #4283).
    const k6Said = { byOperation: new Map([["echo.pingg", [{ metric, threshold: "p(95)<1", ok: true, scope: "operation" as const }]]]), scenarioWide: [] };
    const { report, problems } = closeVacuousThresholds(k6Said, compiled, raw);
    assert.equal(problems.length, 1);
    assert.deepEqual(report.scenarioWide.filter((t) => t.metric === metric).map((t) => t.ok), [false]);
    assert.equal(k6Said.byOperation.get("echo.pingg")?.[0]?.ok, true, "k6's report itself is left as it was");
  });

  it("puts a measured operation's limits on perfdo_latency only and a request's on http_req_duration only, and fails either on the wrong kind", async () => {
    const dir = join(FIXTURES, "replicate-measured");
    const raw = await readRawOutput(join(dir, "raw.perfdo"));
    assert.equal(raw.operations.get("replicate.failover")?.measured, 2, "two failover drills, each one measured latency");
    assert.equal(raw.operations.get("replicate.write")?.measured, 0);
    const file = ThresholdsFileSchema.parse({
      operations: { "replicate.failover": { measured: true, max: 10_000 }, "replicate.write": { p95: 500 }, "replicate.reconcile": { measured: true, p99: 0.001 } },
    });
    const compiled = compileThresholds(file);
    assert.deepEqual(compiled["perfdo_latency{name:replicate.failover}"], ["max<10000"]);
    // k6's own summary lists no threshold on a metric the operation has no samples in (it showed p(95)=0s ✓ before).
    assert.equal(compiled["http_req_duration{name:replicate.failover,expected_response:true}"], undefined);
    assert.equal(compiled["perfdo_latency{name:replicate.write}"], undefined);
    const { report, problems } = closeVacuousThresholds(evaluateThresholds(compiled, raw), compiled, raw);
    assert.deepEqual(problems, []);
    const judged = (name: string) => report.byOperation.get(name)?.map((t) => `${t.metric} ${t.threshold} ${t.ok}`);
    assert.deepEqual(judged("replicate.failover"), ["perfdo_latency{name:replicate.failover} max<10000 true"]);
    assert.deepEqual(judged("replicate.write"), ["http_req_duration{name:replicate.write,expected_response:true} p(95)<500 true"]);
    assert.deepEqual(judged("replicate.reconcile"), ["perfdo_latency{name:replicate.reconcile} p(99)<0.001 false"], "a measured latency over its limit fails");
    // The wrong kind either way fails, and says how to fix the entry, rather than pass on no samples.
    const wrong = compileThresholds(ThresholdsFileSchema.parse({ operations: { "replicate.failover": { max: 10_000 }, "replicate.write": { measured: true, p95: 500 } } }));
    const misjudged = closeVacuousThresholds(evaluateThresholds(wrong, raw), wrong, raw);
    assert.deepEqual(misjudged.problems, [
      'thresholds: operation "replicate.failover" is a measured latency (perfdo_latency): mark it "measured": true; its latency limits fail',
      'thresholds: operation "replicate.write" is HTTP requests, not a measured latency: drop its "measured": true; its latency limits fail',
    ]);
    assert.deepEqual([...misjudged.report.byOperation.values()].flat().map((t) => t.ok), [false, false]);
  });

  it("an error rate on a measured operation fails: it has no requests to fail", async () => {
    const raw = await readRawOutput(join(FIXTURES, "replicate-measured", "raw.perfdo"));
    const compiled = compileThresholds(ThresholdsFileSchema.parse({ operations: { "replicate.lag": { errorRate: 0.01 } } }));
    const { report, problems } = closeVacuousThresholds(evaluateThresholds(compiled, raw), compiled, raw);
    assert.deepEqual(problems, ['thresholds: operation "replicate.lag" is a measured latency (perfdo_latency), not requests: it has no error rate; its errorRate fails']);
    assert.deepEqual(report.byOperation.get("replicate.lag")?.map((t) => t.ok), [false]);
  });

  it("judges dropped iterations as a share of the offered iterations, from the samples, and a checks threshold with no check fails", async () => {
    const raw = await readRawOutput(join(FIXTURES, "things-dual", "raw.perfdo"));
    const compiled = compileThresholds(ThresholdsFileSchema.parse({ checks: 0.99 }));
    const none = closeVacuousThresholds({ byOperation: new Map(), scenarioWide: [] }, compiled, raw);
    assert.deepEqual(none.report.scenarioWide.map((t) => `${t.metric} ${t.threshold} ${t.ok}`), ["dropped_iterations share<=0.01 true"]);
    // Just under 1 % of what was offered passes (a healthy run's stray drop); just over fails.
    const offered = raw.iterations;
    raw.iterations = offered - Math.floor(offered * 0.01);
    raw.droppedIterations = Math.floor(offered * 0.01);
    assert.deepEqual(closeVacuousThresholds({ byOperation: new Map(), scenarioWide: [] }, compiled, raw).report.scenarioWide.map((t) => t.ok), [true]);
    raw.droppedIterations += 2;
    raw.checks = { passes: 0, fails: 0 };
    const k6Said = { byOperation: new Map(), scenarioWide: [{ metric: "checks", threshold: "rate>=0.99", ok: true, scope: "scenario" as const }] };
    const starved = closeVacuousThresholds(k6Said, compiled, raw);
    assert.deepEqual(starved.report.scenarioWide.map((t) => `${t.metric} ${t.ok}`), ["checks false", "dropped_iterations false"]);
  });

  it("warns loudly about dropped iterations with offered and achieved rates", () => {
    assert.equal(droppedWarning(0, 100, undefined), null);
    const text = droppedWarning(139, 1600, undefined) as string;
    assert.match(text, /COORDINATED OMISSION: k6 dropped 139 of 1600 iterations \(8\.7 %\)/);
  });
});

describe("calibration target", () => {
  it("holds a response due inside a stall until the stall ends", () => {
    // Every 10 s the last 1 s stalls: [9000, 10000) is stalled.
    assert.equal(releaseTime(8999, 10_000, 1000), 8999);
    assert.equal(releaseTime(9000, 10_000, 1000), 10_000);
    assert.equal(releaseTime(9999.5, 10_000, 1000), 10_000);
    assert.equal(releaseTime(19_500, 10_000, 1000), 20_000);
    assert.equal(releaseTime(500, 0, 0), 500);
  });
});
