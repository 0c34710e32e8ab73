import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { perfdo, startWorker } from "./helpers";

// The E2E suites (scenarios/e2e) against the real local Worker: every contract assertion holds.

/** Runs one suite against a Worker with `fault` switched on; the 100 % checks gate must fail it. */
async function runBroken(fault: string, suite: string): Promise<string> {
  const broken = await startWorker({ fault });
  try {
    const res = await perfdo(["run", suite, "--target", `local=${broken.address}`, "--profile", "smoke", "--iterations", "1", "--gate", "--quiet", "--no-results"]);
    assert.equal(res.code, 3, "the 100 % checks gate fails the run");
    return res.stdout;
  } finally {
    await broken.stop();
  }
}

const stillPasses = (stdout: string, areas: string[]): void => {
  for (const area of areas) assert.match(stdout, new RegExp(`│ ${area}\\s+│\\s+\\d+ │\\s+\\d+ │\\s+0 │`), `${area} still passes`);
};

describe("E2E suites against the local Worker", () => {
  it("passes every check of the lifecycle, shard, replicate, targeting, stores, network, advanced, streaming and workflow suites under a 100 % gate", async () => {
    const res = await perfdo(["run", "e2e/lifecycle", "e2e/shard", "e2e/replicate", "e2e/targeting", "e2e/stores", "e2e/network", "e2e/advanced", "e2e/streaming", "e2e/workflow", "--profile", "smoke", "--iterations", "2", "--gate", "--quiet", "--no-results"]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.doesNotMatch(res.stdout, /FAILED|FAIL/);
    for (const area of ["move", "fork", "clone", "promote", "demote", "lifecycle", "shard", "replicate", "targeting", "things", "relationships", "actions", "events", "search", "objects", "dlq", "echo", "do-call", "ws", "cache", "columnar", "temporal", "vector", "inverted", "windows", "watermarks", "transactions", "state", "router", "cdc", "workflows", "activities", "signals", "timers"]) {
      const row = new RegExp(`│ ${area.replace("-", "\\-")}\\s+│\\s+(\\d+) │\\s+(\\d+) │\\s+0 │`).exec(res.stdout);
      assert.ok(row, `area ${area} has checks and none failed`);
      assert.ok(Number(row[1]) > 0 && Number(row[2]) >= Number(row[1]), `${area}: ${row[0]}`);
    }
  });

  it("fails, naming the broken behaviour, when the Worker makes forks share state", async () => {
    const stdout = await runBroken("fork-shares-state", "e2e/lifecycle");
    assert.match(stdout, /FAILED fork: source and fork counters diverge \(isolated\)/);
    stillPasses(stdout, ["move"]);
  });

  it("fails the advanced suite, naming the behaviour, when the cache forgets dependencies", async () => {
    const stdout = await runBroken("cache-shallow-invalidate", "e2e/advanced");
    assert.match(stdout, /FAILED cache: a transitive dependent is gone after the cascade/);
    stillPasses(stdout, ["columnar", "temporal", "vector", "inverted"]);
  });

  it("fails the streaming suite, naming the behaviour, when dedup forgets the ids it has seen", async () => {
    const stdout = await runBroken("dedup-forgets", "e2e/streaming");
    assert.match(stdout, /FAILED transactions: dedup: a duplicate message is not processed again/);
    assert.match(stdout, /FAILED transactions: Idempotency-Key: a repeat gets the first answer, marked replayed/);
    stillPasses(stdout, ["windows", "watermarks", "state", "router", "cdc"]);
  });

  it("fails the workflow suite, naming the behaviour, when the alarm never fires timers", async () => {
    const stdout = await runBroken("timers-never-fire", "e2e/workflow");
    assert.match(stdout, /FAILED timers: due timers fire on the Durable Object alarm/);
    stillPasses(stdout, ["workflows", "activities", "signals"]);
  });
});
