import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRawOutput } from "../../lib/node/results/k6-output";
import { readK6Summary, thresholdOutcomes } from "../../lib/node/results/k6-summary";
import { evaluateThresholds, parseExpression, parseMetricKey } from "../../lib/node/thresholds/evaluate";
import { equalSegments as executionSegments, segmentsOf } from "../../lib/node/k6/segments";
import type { K6Thresholds } from "../../lib/node/thresholds/compile";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "k6");

/** The thresholds k6 itself evaluated in a captured run, in compiled form. */
function compiledFrom(summaryPath: string): K6Thresholds {
  const summary = readK6Summary(summaryPath);
  const out: K6Thresholds = {};
  for (const [metric, data] of Object.entries(summary.metrics)) if (data.thresholds) out[metric] = Object.keys(data.thresholds);
  return out;
}

describe("threshold evaluation on samples (merged runs)", () => {
  it("parses k6 threshold expressions and metric keys", () => {
    assert.deepEqual(parseExpression("p(95)<250"), { stat: "p", percentile: 95, op: "<", value: 250 });
    assert.deepEqual(parseExpression("rate<=0.01"), { stat: "rate", percentile: undefined, op: "<=", value: 0.01 });
    assert.throws(() => parseExpression("p95 < fast"), /not of the form/);
    assert.deepEqual(parseMetricKey("http_req_duration{name:echo.ping,expected_response:true}"), {
      metric: "http_req_duration",
      tags: { name: "echo.ping", expected_response: "true" },
    });
  });

  for (const fixture of ["things-smoke", "echo-breach", "echo-all-failed"]) {
    it(`reaches k6's own verdicts on the captured ${fixture} run`, async () => {
      const dir = join(FIXTURES, fixture);
      const k6 = thresholdOutcomes(readK6Summary(join(dir, "summary.json")));
      const ours = evaluateThresholds(compiledFrom(join(dir, "summary.json")), await readRawOutput(join(dir, "raw.json.gz")));
      const key = (list: Array<{ metric: string; threshold: string; ok: boolean }>) => list.map((t) => `${t.metric} ${t.threshold} ${t.ok}`).sort();
      assert.deepEqual(key(ours.scenarioWide), key(k6.scenarioWide));
      assert.deepEqual([...ours.byOperation.keys()].sort(), [...k6.byOperation.keys()].sort());
      for (const [op, list] of k6.byOperation) assert.deepEqual(key(ours.byOperation.get(op) ?? []), key(list), op);
    });
  }

  it("splits a run into k6 execution segments like k6-operator", () => {
    assert.deepEqual(executionSegments(2), [
      { segment: "0:1/2", sequence: "0,1/2,1" },
      { segment: "1/2:1", sequence: "0,1/2,1" },
    ]);
    assert.equal(executionSegments(3)[1]?.segment, "1/3:2/3");
    // In proportion to weights: a cloud run's zones, 60 % and 40 %.
    assert.deepEqual(segmentsOf([60, 40]), [
      { segment: "0:60/100", sequence: "0,60/100,1" },
      { segment: "60/100:1", sequence: "0,60/100,1" },
    ]);
  });
});
