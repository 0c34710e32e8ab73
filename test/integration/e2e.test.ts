import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Fault } from "../../deploy/src/faults";
import { areasOf, perfdo, runChecks, startWorker, type CliResult } from "./helpers";

// The E2E suites (scenarios/e2e) against the real local Worker: every contract assertion holds.

/** Runs one suite against a Worker with `fault` switched on; the 100 % checks gate must fail it. */
async function runBroken(fault: Fault, suite: string): Promise<CliResult> {
  const broken = await startWorker({ fault });
  try {
    const res = await perfdo(["run", suite, "--target", `local=${broken.address}`, "--profile", "smoke", "--iterations", "1", "--gate", "--quiet", "--no-results"]);
    assert.equal(res.code, 3, "the 100 % checks gate fails the run");
    return res;
  } finally {
    await broken.stop();
  }
}

/** The areas still pass: checks ran and none failed (the run's checks.json, not the console table). */
const stillPasses = (res: CliResult, areas: string[]): void => {
  const byArea = areasOf(runChecks(res));
  for (const area of areas) {
    const a = byArea.get(area);
    assert.ok(a && a.checks > 0 && a.fails === 0, `${area} still passes: ${JSON.stringify(a)}`);
  }
};

describe("E2E suites against the local Worker", () => {
  it("passes every check of the lifecycle, shard, replicate, targeting, stores, network, advanced, streaming, workflow, iceberg, iceberg-indexes and datasets suites under a 100 % gate", async () => {
    const res = await perfdo(["run", "e2e/lifecycle", "e2e/shard", "e2e/replicate", "e2e/targeting", "e2e/stores", "e2e/network", "e2e/advanced", "e2e/streaming", "e2e/workflow", "e2e/iceberg", "e2e/iceberg-indexes", "e2e/datasets", "--profile", "smoke", "--iterations", "2", "--gate", "--quiet", "--no-results"]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.doesNotMatch(res.stdout, /FAILED|FAIL/);
    const byArea = areasOf(runChecks(res));
    for (const area of ["move", "fork", "clone", "promote", "demote", "lifecycle", "shard", "replicate", "targeting", "things", "relationships", "actions", "events", "search", "objects", "dlq", "echo", "do-call", "ws", "cache", "columnar", "temporal", "vector", "inverted", "windows", "watermarks", "transactions", "state", "router", "cdc", "workflows", "activities", "signals", "timers", "iceberg", "bloom-index", "range-index", "inverted-index", "vector-index", "search-manifest", "web", "graph", "processes", "wiki", "wikipedia", "wiktionary", "onet"]) {
      const a = byArea.get(area);
      assert.ok(a && a.checks > 0 && a.passes >= a.checks && a.fails === 0, `area ${area} has checks and none failed: ${JSON.stringify(a)}`);
    }
  });

  it("fails, naming the broken behaviour, when the Worker makes forks share state", async () => {
    const res = await runBroken("fork-shares-state", "e2e/lifecycle");
    assert.match(res.stdout, /FAILED fork: source and fork counters diverge \(isolated\)/);
    stillPasses(res, ["move"]);
  });

  it("fails the advanced suite, naming the behaviour, when the cache forgets dependencies", async () => {
    const res = await runBroken("cache-shallow-invalidate", "e2e/advanced");
    assert.match(res.stdout, /FAILED cache: a transitive dependent is gone after the cascade/);
    stillPasses(res, ["columnar", "temporal", "vector", "inverted"]);
  });

  it("fails the streaming suite, naming the behaviour, when dedup forgets the ids it has seen", async () => {
    const res = await runBroken("dedup-forgets", "e2e/streaming");
    assert.match(res.stdout, /FAILED transactions: dedup: a duplicate message is not processed again/);
    assert.match(res.stdout, /FAILED transactions: Idempotency-Key: a repeat gets the first answer, marked replayed/);
    stillPasses(res, ["windows", "watermarks", "state", "router", "cdc"]);
  });

  it("fails the iceberg suite, naming the behaviour, when queries read every file instead of pruning", async () => {
    const res = await runBroken("iceberg-no-pruning", "e2e/iceberg");
    assert.match(res.stdout, /FAILED iceberg: naics: a lookup reads one data file, the others pruned by partition and bounds/);
    assert.match(res.stdout, /FAILED iceberg: unspsc: a lookup reads one row group, the others pruned by their statistics/);
    const a = areasOf(runChecks(res)).get("iceberg");
    assert.ok(a && a.passes > 0, "the answers themselves are still right: only the pruning checks fail");
  });

  it("fails the datasets suite, naming the behaviour, when PageRank counts no link", async () => {
    const res = await runBroken("pagerank-ignores-links", "e2e/datasets");
    assert.match(res.stdout, /FAILED web: the most linked host ranks first, above twice a host nothing links to/);
    stillPasses(res, ["graph", "processes", "wiki"]);
  });

  it("fails the iceberg-indexes suite, naming the behaviour, when bloom filters leave values out", async () => {
    const res = await runBroken("bloom-drops-every-tenth", "e2e/iceberg-indexes");
    assert.match(res.stdout, /FAILED bloom-index: no value added is ever missed/);
    stillPasses(res, ["range-index", "inverted-index", "vector-index"]);
  });

  it("fails the workflow suite, naming the behaviour, when the alarm never fires timers", async () => {
    const res = await runBroken("timers-never-fire", "e2e/workflow");
    assert.match(res.stdout, /FAILED timers: due timers fire on the Durable Object alarm/);
    stillPasses(res, ["workflows", "activities", "signals"]);
  });
});
