import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyRawRun } from "../../lib/node/results/raw-run";
import { isPrivateIp, isLoopbackIp, provenanceOf } from "../../lib/node/results/provenance";
import { BenchmarkResultSchema, migrateLine } from "../../lib/node/results/schema";
import { targetFromCapture } from "../../lib/node/run/ingest";

// Where a number came from (the end-to-end path, with real k6: test/integration/run-local.test.ts).

const capture = (addresses: string[], harness?: Record<string, unknown>) => {
  const raw = emptyRawRun();
  for (const a of addresses) raw.addresses.add(a);
  if (harness) raw.provenance.push({ k6: { version: "v2.2.0", build: "perfdo-output" }, generator: { os: "linux", cores: 2, cpuModel: "x" }, harness });
  return raw;
};

describe("provenance", () => {
  it("tells loopback and private addresses from public ones, IPv4 and IPv6", () => {
    for (const ip of ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"]) assert.ok(isLoopbackIp(ip), ip);
    for (const ip of ["10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.0.1", "fd00::1", "fe80::1"]) assert.ok(isPrivateIp(ip), ip);
    for (const ip of ["104.16.1.1", "2606:4700::1"]) assert.ok(!isLoopbackIp(ip) && !isPrivateIp(ip), ip);
  });

  it("marks a remote target answered from loopback as a rehearsal, and says why", () => {
    const p = provenanceOf({ raw: capture(["127.0.0.1:8443"]), targetKind: "remote", target: "perf.do", k6Version: "v2.2.0", recordedBy: "run" });
    assert.equal(p.reachedLoopback, true);
    assert.equal(p.rehearsal, true);
    assert.match(p.rehearsalReason ?? "", /answered from loopback \(127\.0\.0\.1:8443\)/);
    const resolved = provenanceOf({ raw: capture([]), targetKind: "remote", target: "perf.do", resolve: "perf.do=127.0.0.1:9443", k6Version: "v2.2.0", recordedBy: "run" });
    assert.equal(resolved.rehearsal, true);
    const real = provenanceOf({ raw: capture(["104.18.2.3:443", "10.0.0.5:443"]), targetKind: "remote", target: "perf.do", k6Version: "v2.2.0", recordedBy: "run" });
    assert.deepEqual([real.reachedLoopback, real.reachedPrivate, real.rehearsal], [false, true, false]);
  });

  it("reads the harness's word and the load's machine from the capture", () => {
    const p = provenanceOf({ raw: capture(["127.0.0.1:1"], { gitCommit: "abc123", gitDirty: true, target: "local", rehearsal: "k8s --rehearse" }), targetKind: "local", target: "local", k6Version: "unknown", recordedBy: "ingest" });
    assert.equal(p.gitCommit, "abc123");
    assert.equal(p.gitDirty, true);
    assert.equal(p.k6Version, "v2.2.0");
    assert.equal(p.k6Build, "perfdo-output");
    assert.equal(p.generators[0]?.cores, 2);
    assert.equal(p.rehearsal, true);
  });

  it("never guesses a remote target for a capture that does not say", () => {
    assert.equal(targetFromCapture(capture(["127.0.0.1:8787"]), ["x.json"]), "local");
    assert.equal(targetFromCapture(capture([], { target: "perf.do" }), ["x.perfdo"]), "perf.do");
    assert.throws(() => targetFromCapture(capture([]), ["x.json"]), /does not say where its load went.*give --target/);
    assert.throws(() => targetFromCapture(capture(["104.18.2.3:443"]), ["x.json"]), /reached 104\.18\.2\.3:443/);
  });

  it("migrates a schema 1 line, and refuses a remote line that reached loopback unless it is a rehearsal", () => {
    const v1 = {
      schemaVersion: 1, name: "echo.ping", scenario: "network/echo", timestamp: "2026-11-23T10:00:00.000Z", target: "echo.perf.do", targetKind: "local",
      iterations: 1, latency: { p50: 1, p95: 1, p99: 1, min: 1, max: 1, mean: 1, stddev: 0 }, errors: 0, errorRate: 0, rps: 1, durationSec: 1, profile: "smoke",
      thresholds: [], thresholdsPassed: true, k6Version: "v2.2.0", gitCommit: "0898c72cf14a-dirty", runId: "r",
    };
    const line = BenchmarkResultSchema.parse(v1);
    assert.equal(line.schemaVersion, 2);
    assert.deepEqual([line.provenance.gitCommit, line.provenance.gitDirty, line.provenance.reachedLoopback, line.provenance.recordedBy], ["0898c72cf14a", true, true, "migrated"]);
    const remote = migrateLine({ ...v1, targetKind: "remote" }) as { provenance: Record<string, unknown> };
    assert.equal(BenchmarkResultSchema.safeParse(remote).success, true, "addresses unknown: not loopback, and never deployment evidence");
    const lying = { ...remote, provenance: { ...remote.provenance, reachedLoopback: true } };
    assert.match(JSON.stringify(BenchmarkResultSchema.safeParse(lying).error?.issues), /must be marked a rehearsal/);
  });
});
