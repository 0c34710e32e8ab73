import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LocalTarget } from "../../lib/node/target/local";
import { join } from "node:path";
import { measured, perfdo, readResults, ROOT, startWorker, tempDir } from "./helpers";

// Real k6 against the real local Worker (workerd): what the JSONL says must be what the Worker served.

/** Operation → the Worker's route counter that serves it. */
const ROUTE_OF: Record<string, string> = {
  "echo.ping": "echo GET /ping",
  "echo.echo-100b": "echo POST /echo",
  "echo.echo-1kb": "echo POST /echo",
  "echo.echo-10kb": "echo POST /echo",
  "things.create": "stores POST /things",
  "things.get": "stores GET /things/:id",
  "things.update": "stores PATCH /things/:id",
  "things.list": "stores GET /things",
  "things.delete": "stores DELETE /things/:id",
};

describe("perfdo run against the local Worker", () => {
  let worker: LocalTarget;
  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.stop();
  });

  it("sustains an arrival rate and appends results matching the Worker's request counts", async (t) => {
    const results = tempDir("results");
    await worker.resetServed();
    const res = await perfdo([
      "run", "network/echo", "stores/things",
      "--target", `local=${worker.address}`,
      "--profile", "sustain", "--rate", "20", "--duration", "4s",
      "--quiet", "--results-dir", results,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const served = await worker.served();
    const lines = readResults(results);
    assert.deepEqual(lines.map((l) => l.name).sort(), Object.keys(ROUTE_OF).sort());

    const reported: Record<string, number> = {};
    for (const line of lines) {
      const route = ROUTE_OF[line.name] as string;
      reported[route] = (reported[route] ?? 0) + line.iterations;
      assert.equal(line.targetKind, "local");
      assert.equal(line.coloServed, "local");
      assert.equal(line.profile, "sustain");
      assert.equal(line.errors, 0, `${line.name} errors`);
      assert.ok(line.latency && line.latency.p50 > 0 && line.latency.p50 <= line.latency.p95 && line.latency.p95 <= line.latency.p99);
      assert.ok(line.latency.stddev > 0);
      // 20 iterations/s for 4 s, one request of each operation per iteration.
      // Seen over 9 runs: 80–81 iterations (81 at most: one at 0 s, then 20/s), 19.99–20.23 rps; the
      // rps limit, ±2, is ~8x the widest deviation.
      measured(t, `run-local ${line.name} iterations, rps`, `${line.iterations}, ${line.rps}`);
      assert.ok(line.iterations >= 70 && line.iterations <= 81, `${line.name}: ${line.iterations} iterations`);
      assert.ok(Math.abs(line.rps - 20) < 2, `${line.name}: ${line.rps} rps`);
    }
    for (const [route, count] of Object.entries(reported)) assert.equal(served[route], count, `Worker served ${route}`);
    assert.equal(new Set(lines.map((l) => l.runId)).size, 2, "one runId per scenario run");

    assert.match(res.stdout, /operation\s*│\s*iterations\s*│\s*rps\s*│\s*p50 ms\s*│\s*p95 ms\s*│\s*p99 ms\s*│\s*errors\s*│\s*thresholds/);
    assert.match(res.stdout, /things\.create/);
    assert.match(res.stdout, /5 result line\(s\) appended/);
  });

  it("merges a 2-instance run (k6 execution segments) into one result per operation", async (t) => {
    const results = tempDir("results");
    await worker.resetServed();
    const res = await perfdo([
      "run", "network/echo", "--target", `local=${worker.address}`, "--profile", "sustain", "--rate", "20", "--duration", "4s",
      "--instances", "2", "--quiet", "--results-dir", results,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const served = await worker.served();
    const lines = readResults(results);
    assert.equal(lines.length, 4, "one line per operation, not per instance");
    assert.equal(new Set(lines.map((l) => l.runId)).size, 1);
    const ping = lines.find((l) => l.name === "echo.ping");
    const echoes = lines.filter((l) => l.name.startsWith("echo.echo-"));
    assert.equal(ping?.iterations, served["echo GET /ping"], "merged iterations are the union of both instances");
    assert.equal(echoes.reduce((sum, l) => sum + l.iterations, 0), served["echo POST /echo"]);
    for (const line of lines) {
      assert.equal(line.instances, 2);
      // Where it came from: this checkout's commit, the k6 with the perfdo output, the Worker's address.
      assert.match(line.provenance.gitCommit, /^[0-9a-f]{12}$/);
      assert.equal(line.provenance.k6Build, "perfdo-output");
      assert.deepEqual(line.provenance.addresses, [worker.address], "k6 reached the Worker's loopback address and nothing else");
      assert.equal(line.provenance.reachedLoopback, true);
      assert.equal(line.provenance.rehearsal, false);
      // Seen over 9 runs: 19.99–20.23 rps.
      measured(t, `run-local 2-instance ${line.name} rps`, line.rps);
      assert.ok(Math.abs(line.rps - 20) < 2, `${line.name}: ${line.rps} rps over both instances`);
      // Thresholds are judged on the merged samples: every one from thresholds/network/echo.json is there.
      assert.ok(line.thresholds.some((t) => t.scope === "operation" && t.threshold.startsWith("p(95)<")), line.name);
      assert.ok(line.thresholds.some((t) => t.metric === "checks"));
      assert.equal(line.thresholdsPassed, true);
    }
  });

  it("ingest merges raw outputs made elsewhere exactly as a merged run does", async () => {
    const results = tempDir("results");
    const run = await perfdo([
      "run", "network/echo", "--target", `local=${worker.address}`, "--profile", "sustain", "--rate", "20", "--duration", "3s",
      "--instances", "2", "--quiet", "--results-dir", results,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const merged = readResults(results);
    const dir = join(ROOT, "build", "runs", merged[0]?.runId as string);
    const again = tempDir("ingested");
    const res = await perfdo([
      "ingest", join(dir, "raw-0.perfdo"), join(dir, "raw-1.perfdo"), "--summary", join(dir, "summary-0.json"), join(dir, "summary-1.json"),
      "--scenario", "network/echo", "--target", "local", "--k6-version", "v2.2.0", "--results-dir", again,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const ingested = new Map(readResults(again).map((l) => [l.name, l]));
    for (const line of merged) {
      const twin = ingested.get(line.name);
      assert.equal(twin?.iterations, line.iterations, line.name);
      assert.deepEqual(twin?.latency, line.latency, `${line.name}: identical statistics`);
      assert.equal(twin?.instances, 2);
      assert.deepEqual(twin?.thresholds.map((t) => `${t.threshold} ${t.ok}`).sort(), line.thresholds.map((t) => `${t.threshold} ${t.ok}`).sort());
    }
    // Without --target, the capture says where its load went (its P line: the harness's word, and the
    // loopback address k6 reached): a local line, never a remote one.
    const told = tempDir("ingested-untold");
    const untold = await perfdo(["ingest", join(dir, "raw-0.perfdo"), join(dir, "raw-1.perfdo"), "--scenario", "network/echo", "--results-dir", told]);
    assert.equal(untold.code, 0, untold.stderr);
    for (const line of readResults(told)) {
      assert.equal(line.targetKind, "local", line.name);
      assert.equal(line.provenance.recordedBy, "ingest");
      assert.equal(line.provenance.reachedLoopback, true);
      assert.equal(line.provenance.gitCommit, merged[0]?.provenance.gitCommit, "the commit travelled inside the capture");
      assert.equal(line.provenance.generators.length, 2, "one machine per k6 process, from their P lines");
    }
    const missing = await perfdo(["ingest", "/nonexistent/raw.json.gz", "--scenario", "network/echo"]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim(), "perfdo: /nonexistent/raw.json.gz: no such file");
  });

  it("records coldStart and datasetSize from the operations that declare them", async () => {
    const results = tempDir("results");
    const res = await perfdo([
      "run", "perf/lifecycle", "--target", `local=${worker.address}`, "--profile", "smoke", "--iterations", "2",
      "--quiet", "--results-dir", results,
    ], { PERFDO_DATASET_SIZE: "40" });
    assert.equal(res.code, 0, res.stderr);
    const byName = new Map(readResults(results).map((l) => [l.name, l]));
    assert.equal(byName.get("lifecycle.status.cold")?.coldStart, true);
    assert.equal(byName.get("lifecycle.status")?.coldStart, undefined, "warm operations are not marked cold");
    assert.equal(byName.get("lifecycle.fork")?.datasetSize, 40, "k6 passes the environment to __ENV: PERFDO_DATASET_SIZE reached the scenario");
    assert.equal(byName.get("lifecycle.clone-atomic")?.iterations, 2);
  });

  it("reports replication lag, measured in the scenario, as an operation of its own", async (t) => {
    const results = tempDir("results");
    const res = await perfdo([
      "run", "perf/replicate", "--target", `local=${worker.address}`, "--profile", "smoke", "--iterations", "4",
      "--quiet", "--results-dir", results, "--gate",
    ], { PERFDO_REPLICA_LAG_MS: "40", PERFDO_RECONCILE_EVENTS: "2000" });
    assert.equal(res.code, 0, res.stderr);
    const lines = new Map(readResults(results).map((l) => [l.name, l]));
    const lag = lines.get("replicate.lag");
    assert.equal(lag?.iterations, 2, "iterations 0 and 1 are the failover and reconciliation drills");
    // The replica applies writes 40 ms late (PERFDO_REPLICA_LAG_MS); seen over 9 runs: min 41–53,
    // max 42–53 ms, so the 500 ms ceiling is ~9x the worst.
    measured(t, "replicate.lag min, max ms", `${lag?.latency?.min}, ${lag?.latency?.max}`);
    assert.ok(lag?.latency && lag.latency.min >= 40 && lag.latency.max < 500, JSON.stringify(lag?.latency));
    // The drills: each a measured operation, judged by its own threshold on its own samples.
    const failover = lines.get("replicate.failover");
    assert.equal(failover?.iterations, 1);
    assert.deepEqual(failover?.thresholds?.filter((t) => t.scope === "operation").map((t) => `${t.metric} ${t.threshold} ${t.ok}`), ["perfdo_latency{name:replicate.failover} max<10000 true"]);
    assert.equal(lines.get("replicate.failover-read")?.iterations, 4, "reads sent alongside the promotion");
    assert.equal(lines.get("replicate.failover-read")?.errorRate, 0);
    const reconcile = lines.get("replicate.reconcile");
    assert.equal(reconcile?.datasetSize, 2000, "N writes made during the partition, recorded as datasetSize");
    const overhead = lines.get("replicate.reconcile-overhead");
    assert.ok(reconcile?.latency && overhead?.latency && overhead.latency.max <= reconcile.latency.max, "the overhead is part of the reconciliation time");
  });

  it("reports a run in which every request failed as failed, with no latency", async () => {
    const results = tempDir("results");
    const res = await perfdo([
      "run", "network/echo", "--target", "local=127.0.0.1:1", "--profile", "smoke", "--iterations", "2",
      "--quiet", "--results-dir", results,
    ]);
    assert.equal(res.code, 0, "advisory thresholds: a breach alone does not fail the command");
    assert.match(res.stdout, /THRESHOLDS BREACHED \(advisory/);
    const lines = readResults(results);
    assert.equal(lines.length, 4);
    for (const line of lines) {
      assert.equal(line.latency, null);
      assert.equal(line.errorRate, 1);
      assert.equal(line.thresholdsPassed, false);
    }
    assert.match(res.stdout, /echo\.ping\s*│\s*2\s*│\s*[\d.]+\s*│\s*—\s*│\s*—\s*│\s*—\s*│\s*2 \(100\.0%\)/);
  });
});
