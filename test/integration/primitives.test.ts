import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { areasOf, perfdo, readResults, runChecks, startWorker, tempDir } from "./helpers";

// The primitives' perf scenarios (npm run benchmark:primitives) against the real local Worker, at a
// size that fits a test: one line per operation, and the correctness checks under load really gate.

const SMALL = { PERFDO_VECTOR_COUNT: "1000" };

describe("perf/advanced against the local Worker", () => {
  it("appends one line per operation, vector searches with their datasetSize, and passes its checks", async () => {
    const results = tempDir("results");
    // Not --gate: three samples say little about a p95 (the first request to each object is its cold start).
    const res = await perfdo(["run", "perf/advanced", "--profile", "smoke", "--vus", "1", "--iterations", "3", "--quiet", "--results-dir", results], SMALL, 180_000);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.doesNotMatch(res.stdout, /FAILED/);
    const lines = new Map(readResults(results).map((l) => [l.name, l]));
    for (const op of ["cache.get-hit", "cache.cas", "columnar.sum", "columnar.query-bloom", "temporal.get-at", "vector.search-cosine", "vector.search-filtered", "inverted.search-phrase", "inverted.search-facets"]) {
      assert.equal(lines.get(op)?.iterations, 3, `${op}: one per iteration`);
    }
    assert.equal(lines.get("vector.search-dot")?.datasetSize, 1000);
    assert.equal(lines.get("columnar.seed")?.iterations, 100, "seeding is setup's own operation");
    const advanced = areasOf(runChecks(res)).get("advanced");
    assert.ok(advanced && advanced.checks > 0 && advanced.fails === 0, `nothing lost, recall met: ${JSON.stringify(advanced)}`);
  });

  it("fails its gate, naming the check, when the Worker loses writes under load", async () => {
    const broken = await startWorker({ fault: "temporal-drops-writes" });
    try {
      const res = await perfdo(["run", "perf/advanced", "--target", `local=${broken.address}`, "--profile", "smoke", "--iterations", "4", "--gate", "--quiet", "--no-results"], SMALL, 180_000);
      assert.equal(res.code, 3, res.stdout + res.stderr);
      assert.match(res.stdout, /FAILED advanced: nothing written under load was lost \(temporal versions 0\.\.n, each once\)/);
    } finally {
      await broken.stop();
    }
  });
});

describe("perf/streaming against the local Worker", () => {
  it("appends one line per operation and its CDC log and committed output add up", async () => {
    const results = tempDir("results");
    const res = await perfdo(["run", "perf/streaming", "--profile", "smoke", "--vus", "1", "--iterations", "3", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.doesNotMatch(res.stdout, /FAILED/);
    const lines = new Map(readResults(results).map((l) => [l.name, l]));
    for (const op of ["windows.tumbling-add", "watermarks.check-late", "transactions.commit", "state.keyed-list", "router.murmur3", "cdc.capture-batch"]) assert.equal(lines.get(op)?.iterations, 3, op);
    assert.equal(lines.get("transactions.add-record")?.iterations, 6);
    assert.deepEqual(areasOf(runChecks(res)).get("streaming"), { area: "streaming", checks: 3, passes: 3, fails: 0 });
  });

  it("fails its gate when the Worker acknowledges CDC events it never logs", async () => {
    const broken = await startWorker({ fault: "cdc-drops-batch-tail" });
    try {
      const res = await perfdo(["run", "perf/streaming", "--target", `local=${broken.address}`, "--profile", "smoke", "--vus", "1", "--iterations", "2", "--gate", "--quiet", "--no-results"]);
      assert.equal(res.code, 3, res.stdout + res.stderr);
      assert.match(res.stdout, /FAILED streaming: every iteration's captured events are in the CDC log exactly once/);
    } finally {
      await broken.stop();
    }
  });
});

describe("perf/workflow against the local Worker", () => {
  it("records each operation and how late each timer fired, and every timer fires once", async () => {
    const results = tempDir("results");
    const res = await perfdo(["run", "perf/workflow", "--profile", "smoke", "--vus", "1", "--iterations", "3", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.doesNotMatch(res.stdout, /FAILED/);
    const lines = new Map(readResults(results).map((l) => [l.name, l]));
    for (const op of ["workflows.execute", "activities.execute-remote", "signals.wait", "timers.create"]) assert.equal(lines.get(op)?.iterations, 3, op);
    const lateness = lines.get("timers.fire-lateness");
    assert.equal(lateness?.iterations, 3, "one lateness per timer");
    assert.deepEqual(lateness?.thresholds?.filter((t) => t.scope === "operation").map((t) => t.metric), ["perfdo_latency{name:timers.fire-lateness}"]);
  });

  it("fails its gate when timers never fire", async () => {
    const broken = await startWorker({ fault: "timers-never-fire" });
    try {
      const res = await perfdo(["run", "perf/workflow", "--target", `local=${broken.address}`, "--profile", "smoke", "--vus", "1", "--iterations", "2", "--gate", "--quiet", "--no-results"], {}, 180_000);
      assert.equal(res.code, 3, res.stdout + res.stderr);
      assert.match(res.stdout, /FAILED workflow: every iteration's timer fired exactly once/);
    } finally {
      await broken.stop();
    }
  });
});

