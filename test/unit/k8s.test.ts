import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkName, defaultName, k8sManifests, runnerCommand, segmentArgs } from "../../lib/node/k8s/manifests";

describe("k6-operator manifests", () => {
  it("names a TestRun after its scenario, within k6-operator's limits", () => {
    assert.equal(defaultName("perf/shard"), "perfdo-perf-shard");
    assert.equal(checkName("perfdo-perf-shard"), null);
    assert.match(checkName("Perf_Shard") ?? "", /DNS-1123/);
    assert.match(checkName("x".repeat(53)) ?? "", /at most 52/);
  });

  it("gives runner i of n k6-operator's segment and sequence (1-based, as its segmentation package)", () => {
    assert.deepEqual(segmentArgs(1, 3), ["--execution-segment=0:1/3", "--execution-segment-sequence=0,1/3,2/3,1"]);
    assert.deepEqual(segmentArgs(3, 3), ["--execution-segment=2/3:1", "--execution-segment-sequence=0,1/3,2/3,1"]);
  });

  it("builds the runner's command line in k6-operator's order", () => {
    const m = k8sManifests({ name: "perfdo-x", scenario: "x", script: "export default function () {}", parallelism: 2, separate: true, k6Version: "v2.2.0", perfdoOutput: false, env: {}, rawStorage: "1Gi" });
    assert.deepEqual(runnerCommand(m.testRun, 2).slice(0, 5), ["k6", "run", "--quiet", "--execution-segment=1/2:1", "--execution-segment-sequence=0,1/2,1"]);
    assert.deepEqual(runnerCommand(m.testRun, 2).slice(-7), ["/test/test.js", "--address=0.0.0.0:6565", "--paused", "--tag", "instance_id=2", "--tag", "testrun_name=perfdo-x"]);
  });
});
