import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { validateManifests } from "../../lib/node/k8s/validate";
import { k8sManifests } from "../../lib/node/k8s/manifests";
import { initializer } from "../../lib/node/k8s/rehearse";
import { ensureK6 } from "../../lib/node/k6/provision";
import { pinnedK6Version } from "../../lib/node/k6/version";
import { perfdo, readResults, ROOT, tempDir } from "./helpers";

// perfdo k8s: manifests for k6-operator, checked by the pinned kubeconform against the schemas in
// deploy/k8s/schemas, and rehearsed locally with the runners' exact command lines.

describe("perfdo k8s (k6-operator)", () => {
  it("writes a ConfigMap, a raw-output claim and a TestRun that kubeconform accepts", async () => {
    const out = tempDir("k8s");
    const res = await perfdo(["k8s", "perf/shard", "--parallelism", "3", "--target", "perf.do", "--profile", "sustain", "--rate", "200", "--out-dir", out]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Summary: 3 resources found in 3 files - Valid: 3, Invalid: 0, Errors: 0, Skipped: 0/);
    const testRun = parse(readFileSync(join(out, "testrun.yaml"), "utf8")) as {
      apiVersion: string;
      spec: { parallelism: number; separate: boolean; cleanup: string; arguments: string; script: { configMap: { name: string; file: string } }; runner: { image: string; env: Array<{ name: string; value?: string }>; volumes: unknown[]; volumeMounts: Array<{ mountPath: string }> } };
    };
    assert.equal(testRun.apiVersion, "k6.io/v1alpha1");
    assert.equal(testRun.spec.parallelism, 3);
    assert.equal(testRun.spec.separate, true);
    assert.equal(testRun.spec.cleanup, "post");
    assert.equal(testRun.spec.runner.image, `grafana/k6:${pinnedK6Version(ROOT).replace(/^v/, "")}`);
    const env = Object.fromEntries(testRun.spec.runner.env.map((e) => [e.name, e.value]));
    assert.deepEqual([env.PERFDO_TARGET, env.PERFDO_PROFILE, env.PERFDO_RATE], ["perf.do", "sustain", "200"]);
    assert.equal(testRun.spec.runner.env[0]?.name, "POD_NAME", "defined first, so $(POD_NAME) expands");
    // Two words: k6-operator drops the output flag before `k6 archive` only in that form (lib/node/k8s/operator-cli.ts).
    assert.match(testRun.spec.arguments, /--out json=\/perfdo-raw\/\$\(POD_NAME\)\.json\.gz/);
    assert.equal(testRun.spec.runner.volumeMounts[0]?.mountPath, "/perfdo-raw");
    const configMap = parse(readFileSync(join(out, "configmap.yaml"), "utf8")) as { metadata: { name: string }; data: Record<string, string> };
    assert.equal(configMap.metadata.name, testRun.spec.script.configMap.name);
    assert.equal(configMap.data[testRun.spec.script.configMap.file], readFileSync(join(ROOT, "build", "perf", "shard.js"), "utf8"));
  });

  it("kubeconform rejects a misspelled field in the TestRun and in a core kind", async () => {
    const out = tempDir("k8s-bad");
    assert.equal((await perfdo(["k8s", "network/echo", "--parallelism", "2", "--out-dir", out])).code, 0);
    const bad = join(out, "bad-testrun.yaml");
    writeFileSync(bad, readFileSync(join(out, "testrun.yaml"), "utf8").replace("  separate: true", "  seperate: true"));
    const badClaim = join(out, "bad-pvc.yaml");
    writeFileSync(badClaim, readFileSync(join(out, "pvc.yaml"), "utf8").replace("accessModes", "accessMode"));
    const v = validateManifests(ROOT, [bad, badClaim]);
    assert.equal(v.ok, false);
    assert.match(v.output, /additional properties 'seperate' not allowed/);
    assert.match(v.output, /additional properties 'accessMode' not allowed/);
    assert.match(v.output, /Invalid: 2/);
  });

  it("refuses the loopback Worker as a cluster's target, in one line (exit 2)", async () => {
    const res = await perfdo(["k8s", "network/echo", "--parallelism", "2", "--target", "local", "--out-dir", tempDir("k8s-local")]);
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.match(res.stderr, /--rehearse/);
  });

  it("a local rehearsal of the runners' command lines matches perfdo run --instances 3 on the same load", async () => {
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
      assert.ok(Math.abs(line.iterations - other.iterations) <= Math.ceil(other.iterations * 0.01), `${name}: ${line.iterations} vs ${other.iterations}`);
      assert.equal(line.instances, 3, `${name}: merged from 3 runners`);
      assert.equal(line.errors, 0);
    }
  });

  it("rehearses the initializer pod with the real k6: the TestRun's arguments as k6-operator filters them pass k6 archive, the old --out= form does not", () => {
    const k6 = ensureK6(ROOT).bin;
    const dir = tempDir("k8s-initializer");
    const script = join(dir, "test.js");
    writeFileSync(script, "export default function () {}\n");
    const manifests = k8sManifests({ name: "perfdo-x", scenario: "x", script: "", parallelism: 2, separate: false, k6Version: "v2.2.0", perfdoOutput: true, env: { PERFDO_TARGET: "perf.do" }, rawStorage: "1Gi" });
    initializer(manifests, k6, script, dir); // ours: passes
    const spec = (manifests.testRun as { spec: { arguments: string } }).spec;
    spec.arguments = spec.arguments.replace("--out ", "--out="); // the form k6-operator passes on to k6 archive
    assert.throws(() => initializer(manifests, k6, script, dir), /rehearsal initializer: k6 archive .* failed \(.*unknown flag: --out.*\)/);
  });
});
