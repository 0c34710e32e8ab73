import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { validateManifests } from "../../lib/node/k8s/validate";
import { tarFiles } from "../../lib/node/k8s/archive";
import { readRawOutput } from "../../lib/node/results/k6-output";
import { k8sManifests } from "../../lib/node/k8s/manifests";
import { initializer } from "../../lib/node/k8s/rehearse";
import { ensureK6 } from "../../lib/node/k6/provision";
import { pinnedK6Version } from "../../lib/node/k6/version";
import { command, perfdo, readResults, ROOT, startWorker, tempDir } from "./helpers";

// perfdo k8s: manifests for k6-operator, checked by the pinned kubeconform against the schemas in
// deploy/k8s/schemas, and rehearsed locally with the runners' exact command lines.

describe("perfdo k8s (k6-operator)", () => {
  const IMAGE = ["--image", "registry.example/perfdo-k6:v2.2.0", "--perfdo-output"];
  const TOKEN = "perfdo-k8s-token-93ac0e";

  it("writes a ConfigMap and a TestRun, no claim, that kubeconform accepts: results through the logs, fsGroup, separate opt-in, the token as a Secret reference", async () => {
    const out = tempDir("k8s");
    const res = await perfdo(["k8s", "perf/shard", "--parallelism", "3", "--target", "perf.do", "--profile", "sustain", "--rate", "200", "--out-dir", out, ...IMAGE], { PERFDO_TOKEN: TOKEN });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Summary: 2 resources found in 2 files - Valid: 2, Invalid: 0, Errors: 0, Skipped: 0/);
    assert.match(res.stdout, /npx perfdo k8s collect perfdo-perf-shard --delete/);
    assert.ok(!existsSync(join(out, "pvc.yaml")), "no claim: any cluster's storage will do");
    const testRun = parse(readFileSync(join(out, "testrun.yaml"), "utf8")) as {
      apiVersion: string;
      metadata: { annotations: Record<string, string> };
      spec: { parallelism: number; separate: boolean; cleanup?: string; arguments: string; script: { configMap: { name: string; file: string } }; runner: { image: string; securityContext: { fsGroup: number }; env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>; volumes?: unknown[] } };
    };
    assert.equal(testRun.apiVersion, "k6.io/v1alpha1");
    assert.equal(testRun.spec.parallelism, 3);
    assert.equal(testRun.spec.separate, false, "separate is opt-in: its hard anti-affinity leaves runners beyond the node count unscheduled");
    assert.equal(testRun.spec.cleanup, undefined, "the pods stay until perfdo k8s collect has read their logs");
    assert.equal(testRun.spec.runner.securityContext.fsGroup, 12345);
    assert.equal(testRun.spec.runner.volumes, undefined);
    assert.equal(testRun.spec.runner.image, "registry.example/perfdo-k6:v2.2.0");
    assert.deepEqual(testRun.metadata.annotations, { "perfdo/scenario": "perf/shard", "perfdo/target": "perf.do" });
    const env = Object.fromEntries(testRun.spec.runner.env.map((e) => [e.name, e.value]));
    assert.deepEqual([env.PERFDO_TARGET, env.PERFDO_PROFILE, env.PERFDO_RATE], ["perf.do", "sustain", "200"]);
    assert.equal(testRun.spec.runner.env[0]?.name, "POD_NAME", "defined first, so $(POD_NAME) expands");
    assert.deepEqual(testRun.spec.runner.env.find((e) => e.name === "PERFDO_TOKEN")?.valueFrom?.secretKeyRef, { name: "perfdo-token", key: "token", optional: true });
    // Two words: k6-operator drops the output flag before `k6 archive` only in that form (lib/node/k8s/operator-cli.ts).
    assert.match(testRun.spec.arguments, /^--out perfdo=- /);
    const configMap = parse(readFileSync(join(out, "configmap.yaml"), "utf8")) as { metadata: { name: string }; data: Record<string, string> };
    assert.equal(configMap.metadata.name, testRun.spec.script.configMap.name);
    assert.equal(configMap.data[testRun.spec.script.configMap.file], readFileSync(join(ROOT, "build", "perf", "shard.js"), "utf8"));
    for (const file of ["configmap.yaml", "testrun.yaml"]) assert.ok(!readFileSync(join(out, file), "utf8").includes(TOKEN), `${file} holds no token`);
    assert.ok(!(res.stdout + res.stderr).includes(TOKEN));
  });

  it("without the perfdo output image, asks for it or for --storage-class, in one line (exit 2)", async () => {
    const res = await perfdo(["k8s", "network/echo", "--parallelism", "2", "--out-dir", tempDir("k8s-no-image")]);
    assert.equal(res.code, 2, res.stderr);
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.match(res.stderr, /perfdo output extension.*--storage-class/);
  });

  it("with --storage-class keeps raw files on a ReadWriteMany claim of that class; kubeconform rejects a misspelled field in the TestRun and in a core kind", async () => {
    const out = tempDir("k8s-claim");
    const res = await perfdo(["k8s", "network/echo", "--parallelism", "2", "--storage-class", "nfs-client", "--out-dir", out]);
    assert.equal(res.code, 0, res.stderr);
    const claim = parse(readFileSync(join(out, "pvc.yaml"), "utf8")) as { spec: { accessModes: string[]; storageClassName: string } };
    assert.deepEqual([claim.spec.accessModes, claim.spec.storageClassName], [["ReadWriteMany"], "nfs-client"]);
    const testRun = parse(readFileSync(join(out, "testrun.yaml"), "utf8")) as { spec: { cleanup: string; arguments: string; runner: { volumeMounts: Array<{ mountPath: string }> } } };
    assert.equal(testRun.spec.cleanup, "post");
    assert.match(testRun.spec.arguments, /--out json=\/perfdo-raw\/\$\(POD_NAME\)\.json\.gz/);
    assert.equal(testRun.spec.runner.volumeMounts[0]?.mountPath, "/perfdo-raw");
    const bad = join(out, "bad-testrun.yaml");
    writeFileSync(bad, readFileSync(join(out, "testrun.yaml"), "utf8").replace("  separate: false", "  seperate: false"));
    const badClaim = join(out, "bad-pvc.yaml");
    writeFileSync(badClaim, readFileSync(join(out, "pvc.yaml"), "utf8").replace("accessModes", "accessMode"));
    const v = validateManifests(ROOT, [bad, badClaim]);
    assert.equal(v.ok, false);
    assert.match(v.output, /additional properties 'seperate' not allowed/);
    assert.match(v.output, /additional properties 'accessMode' not allowed/);
    assert.match(v.output, /Invalid: 2/);
  });

  it("ships a scenario that opens files as its k6 archive, compressed under the ConfigMap's 1 MiB, unpacked by an init container; the rehearsal runs it from there", async () => {
    const out = tempDir("k8s-datasets");
    const res = await perfdo(["k8s", "perf/datasets", "--parallelism", "2", "--out-dir", out, ...IMAGE]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Valid: 2, Invalid: 0/);
    const configMap = parse(readFileSync(join(out, "configmap.yaml"), "utf8")) as { binaryData: Record<string, string>; data?: unknown };
    const packed = Buffer.from(configMap.binaryData["test.tar.gz"] ?? "", "base64");
    assert.ok(packed.length > 0 && packed.length <= 1024 * 1024, `${packed.length} bytes`);
    const files = tarFiles(gunzipSync(packed));
    for (const f of ["build/vendor/papaparse.js", "fixtures/standards/naics.csv", "fixtures/standards/unspsc.csv"]) assert.ok(files.some((x) => x.endsWith(f)), `${f} in ${files.join(", ")}`);
    const testRun = parse(readFileSync(join(out, "testrun.yaml"), "utf8")) as { spec: { script: { localFile: string }; runner: { initContainers: Array<{ command: string[] }> } } };
    assert.equal(testRun.spec.script.localFile, "/perfdo-script/test.tar");
    assert.match(testRun.spec.runner.initContainers[0]?.command.join(" ") ?? "", /gunzip -c \/perfdo-packed\/test\.tar\.gz > \/perfdo-script\/test\.tar/);
    const results = tempDir("k8s-datasets-results");
    const r = await perfdo(["k8s", "perf/datasets", "--parallelism", "2", "--rehearse", "--profile", "smoke", "--results-dir", results], {}, 240_000);
    assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr);
    const lines = readResults(results);
    assert.ok(lines.some((l) => l.name === "naics.get") && lines.every((l) => l.errors === 0 && l.instances === 2), JSON.stringify(lines.map((l) => [l.name, l.errors, l.instances])));
  });

  it("refuses the loopback Worker as a cluster's target, in one line (exit 2)", async () => {
    const res = await perfdo(["k8s", "network/echo", "--parallelism", "2", "--target", "local", "--out-dir", tempDir("k8s-local")]);
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.match(res.stderr, /--rehearse/);
  });

  it("a local rehearsal (results through the pods' logs) matches perfdo run --instances 3 on the same load", async () => {
    const load = ["--profile", "sustain", "--rate", "30", "--duration", "4s"];
    const rehearsed = tempDir("k8s-rehearsal");
    const r = await perfdo(["k8s", "network/echo", "--parallelism", "3", "--rehearse", ...load, "--results-dir", rehearsed]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(ROOT, "deploy", "k8s", "perfdo-network-echo")), "a rehearsal's loopback manifests never land in deploy/k8s");
    const instances = tempDir("k8s-instances");
    const i = await perfdo(["run", "network/echo", "--instances", "3", ...load, "--quiet", "--results-dir", instances]);
    assert.equal(i.code, 0, i.stderr);
    const a = new Map(readResults(rehearsed).map((l) => [l.name, l]));
    const b = new Map(readResults(instances).map((l) => [l.name, l]));
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [name, line] of a) {
      const other = b.get(name)!;
      // The same load is the same offered iterations: each echo iteration makes every operation once,
      // so an operation's iterations plus the run's drops. A busy machine drops a few (seen: 116 + 5
      // dropped against 121 + 0, with every test file running), which the lines record.
      const offered = (l: typeof line) => l.iterations + (l.droppedIterations ?? 0);
      assert.ok(Math.abs(offered(line) - offered(other)) <= Math.ceil(offered(other) * 0.01), `${name}: ${line.iterations} + ${line.droppedIterations ?? 0} dropped vs ${other.iterations} + ${other.droppedIterations ?? 0} dropped`);
      assert.equal(line.instances, 3, `${name}: merged from 3 runners`);
      assert.equal(line.errors, 0);
      // A rehearsal says so, with each runner's pod, and never passes for a cluster's run.
      assert.equal(line.provenance.rehearsal, true, name);
      assert.equal(line.provenance.recordedBy, "k8s rehearse");
      assert.deepEqual(line.provenance.generators.map((g) => g.pod).sort(), ["perfdo-network-echo-1-rehearsal", "perfdo-network-echo-2-rehearsal", "perfdo-network-echo-3-rehearsal"]);
      assert.equal(other.provenance.rehearsal, false, "a plain local run is no rehearsal");
    }
  });

  it("the logs form's histograms give the exact file's counts and means, and percentiles within 0.1 % (one k6 run writing both)", async () => {
    const worker = await startWorker();
    const dir = tempDir("k8s-hdr");
    try {
      // --no-thresholds: the subject is two outputs of one run; iterations a busy machine drops (the
      // scenario's dropped_iterations threshold, crossed once under Node 24 with every file running) are not.
      const res = await command(ensureK6(ROOT).bin, ["run", "--quiet", "--no-thresholds", "--out", `perfdo=${join(dir, "exact.perfdo")}`, "--out", "perfdo=-", "-e", "PERFDO_TARGET=local", "-e", `PERFDO_LOCAL_ADDRESS=${worker.address}`, "-e", "PERFDO_DURATION=3s", join(ROOT, "build", "network", "echo.js")]);
      assert.equal(res.code, 0, res.stderr);
      writeFileSync(join(dir, "pod.log"), `time="x" level=info msg="a k6 log line"\n${res.stdout}\n     █ TOTAL RESULTS\n`);
    } finally {
      await worker.stop();
    }
    const exact = await readRawOutput(join(dir, "exact.perfdo"));
    const fromLog = await readRawOutput(join(dir, "pod.log"));
    assert.deepEqual([...fromLog.operations.keys()].sort(), [...exact.operations.keys()].sort());
    assert.deepEqual([fromLog.iterations, fromLog.checks], [exact.iterations, exact.checks]);
    for (const [name, op] of exact.operations) {
      const e = op.latency.stats()!;
      const h = fromLog.operations.get(name)!.latency.stats()!;
      assert.equal(fromLog.operations.get(name)!.latency.count, op.latency.count, name);
      for (const k of ["mean", "min", "max", "stddev"] as const) assert.ok(Math.abs(h[k] - e[k]) <= 1e-9 * Math.max(1, e[k]), `${name} ${k}: ${h[k]} vs ${e[k]}`);
      // HdrHistogram with 3 significant digits: each value within 0.1 % (plus interpolation between ranks).
      for (const k of ["p50", "p95", "p99"] as const) assert.ok(Math.abs(h[k] - e[k]) <= 0.002 * e[k], `${name} ${k}: ${h[k]} vs ${e[k]}`);
    }
  });

  it("perfdo k8s collect reads the runner pods' logs with kubectl (found by k6-operator's labels) and writes one merged line per operation", async () => {
    const dir = tempDir("k8s-collect");
    const worker = await startWorker();
    try {
      for (const i of [1, 2]) {
        const res = await command(ensureK6(ROOT).bin, ["run", "--quiet", `--execution-segment=${i === 1 ? "0:1/2" : "1/2:1"}`, "--execution-segment-sequence=0,1/2,1", "--out", "perfdo=-", "-e", "PERFDO_TARGET=local", "-e", `PERFDO_LOCAL_ADDRESS=${worker.address}`, "-e", "PERFDO_PROFILE=sustain", "-e", "PERFDO_RATE=20", "-e", "PERFDO_DURATION=3s", join(ROOT, "build", "network", "echo.js")]);
        assert.equal(res.code, 0, res.stderr);
        writeFileSync(join(dir, `perfdo-network-echo-${i}-abcde.log`), res.stdout + res.stderr);
      }
    } finally {
      await worker.stop();
    }
    // A stand-in for kubectl that answers from those logs and records how it was called.
    const fake = join(dir, "kubectl");
    writeFileSync(fake, `#!/usr/bin/env node
const fs = require("node:fs"); const a = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(join(dir, "calls"))}, a.join(" ") + "\\n");
const rest = a[0] === "--namespace" ? a.slice(2) : a;
if (rest[0] === "get" && rest[1] === "testrun") process.stdout.write(JSON.stringify({ metadata: { annotations: { "perfdo/scenario": "network/echo", "perfdo/target": "perf.do" } }, spec: { parallelism: 2 } }));
else if (rest[0] === "get" && rest[1] === "pods") process.stdout.write("perfdo-network-echo-2-abcde perfdo-network-echo-1-abcde");
else if (rest[0] === "logs") process.stdout.write(fs.readFileSync(${JSON.stringify(dir)} + "/" + rest[1] + ".log"));
else if (rest[0] === "delete") {}
else { process.stderr.write("unexpected: " + a.join(" ")); process.exit(1); }
`, { mode: 0o755 });
    const results = tempDir("k8s-collect-results");
    const res = await perfdo(["k8s", "collect", "perfdo-network-echo", "--namespace", "load", "--kubectl", fake, "--delete", "--results-dir", results]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.deepEqual(readFileSync(join(dir, "calls"), "utf8").trim().split("\n"), [
      "--namespace load get testrun perfdo-network-echo -o json",
      "--namespace load get pods -l app=k6,k6_cr=perfdo-network-echo,runner=true -o jsonpath={.items[*].metadata.name}",
      "--namespace load logs perfdo-network-echo-1-abcde -c k6",
      "--namespace load logs perfdo-network-echo-2-abcde -c k6",
      "--namespace load delete testrun perfdo-network-echo",
    ]);
    const lines = readResults(results);
    assert.ok(lines.length === 4 && lines.every((l) => l.instances === 2 && l.errors === 0 && l.scenario === "network/echo"), JSON.stringify(lines.map((l) => [l.name, l.instances, l.errors])));
    assert.ok(lines.every((l) => l.iterations >= 55 && l.iterations <= 62), JSON.stringify(lines.map((l) => l.iterations)));
    // The TestRun says perf.do, but these pods' k6 reached loopback (their captures say so): the
    // lines are a rehearsal, never evidence about perf.do.
    for (const l of lines) {
      assert.equal(l.targetKind, "remote");
      assert.equal(l.provenance.reachedLoopback, true);
      assert.equal(l.provenance.rehearsal, true);
      assert.match(l.provenance.rehearsalReason ?? "", /a remote target answered from loopback/);
      assert.equal(l.provenance.recordedBy, "k8s collect");
    }
  });

  it("rehearses the initializer pod with the real k6: the TestRun's arguments as k6-operator filters them pass k6 archive, the old --out= form does not", () => {
    const k6 = ensureK6(ROOT).bin;
    const dir = tempDir("k8s-initializer");
    const script = join(dir, "test.js");
    writeFileSync(script, "export default function () {}\n");
    const manifests = k8sManifests({ name: "perfdo-x", scenario: "x", script: "", parallelism: 2, separate: false, k6Version: "v2.2.0", perfdoOutput: true, env: { PERFDO_TARGET: "perf.do" }, results: { kind: "logs" } });
    initializer(manifests, k6, script, dir); // ours: passes
    const spec = (manifests.testRun as { spec: { arguments: string } }).spec;
    spec.arguments = spec.arguments.replace("--out ", "--out="); // the form k6-operator passes on to k6 archive
    assert.throws(() => initializer(manifests, k6, script, dir), /rehearsal initializer: k6 archive .* failed \(.*unknown flag: --out.*\)/);
  });
});
