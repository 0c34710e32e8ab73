import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkName, defaultName, k8sManifests, runnerArguments, runnerCommand, segmentArgs } from "../../lib/node/k8s/manifests";
import { archiveArgs, operatorArgv } from "../../lib/node/k8s/operator-cli";

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
    const m = k8sManifests({ name: "perfdo-x", scenario: "x", script: "export default function () {}", parallelism: 2, separate: true, k6Version: "v2.2.0", perfdoOutput: false, env: {}, results: { kind: "claim", storageClass: "nfs", size: "1Gi" } });
    assert.deepEqual(runnerCommand(m.testRun, 2).slice(0, 5), ["k6", "run", "--quiet", "--execution-segment=1/2:1", "--execution-segment-sequence=0,1/2,1"]);
    assert.deepEqual(runnerCommand(m.testRun, 2).slice(-7), ["/test/test.js", "--address=0.0.0.0:6565", "--paused", "--tag", "instance_id=2", "--tag", "testrun_name=perfdo-x"]);
  });

  it("filters arguments for k6 archive as k6-operator's ParseCLI does: the output flag goes only as two words", () => {
    // pkg/types/k6cli.go ParseCLI: exact `-o`/`--out` words are dropped with their values, `--out=x` is kept.
    assert.deepEqual(archiveArgs(operatorArgv("--out json=r.gz --summary-export=s.json  --no-color")), ["--summary-export=s.json", "--no-color"]);
    assert.deepEqual(archiveArgs(operatorArgv("--out=json=r.gz --tag a=b")), ["--out=json=r.gz", "--tag", "a=b"]);
    assert.deepEqual(archiveArgs(operatorArgv("-o cloud -l --user-agent x --verbose --system-tags=a,b")), ["--system-tags=a,b"]);
    assert.throws(() => archiveArgs(["stray"]), /invalid value for k6 CLI argument: `stray`/);
    // Ours: nothing of the raw output reaches k6 archive.
    for (const perfdo of [true, false]) assert.ok(!archiveArgs(operatorArgv(runnerArguments(perfdo))).some((w) => w.includes("--out") || w.includes("=/perfdo-raw/$(POD_NAME).json") || w.startsWith("perfdo=")));
    assert.deepEqual(archiveArgs(operatorArgv(runnerArguments(true, { kind: "logs" }))).filter((w) => w.includes("perfdo")), []);
  });
});
