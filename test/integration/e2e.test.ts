import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { perfdo, startWorker } from "./helpers";

// The E2E suites (scenarios/e2e) against the real local Worker: every contract assertion holds.

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
    const broken = await startWorker({ fault: "fork-shares-state" });
    try {
      const res = await perfdo(["run", "e2e/lifecycle", "--target", `local=${broken.address}`, "--profile", "smoke", "--iterations", "1", "--gate", "--quiet", "--no-results"]);
      assert.equal(res.code, 3, "the 100 % checks gate fails the run");
      assert.match(res.stdout, /FAILED fork: source and fork counters diverge \(isolated\)/);
      assert.match(res.stdout, /│ move\s+│\s+\d+ │\s+\d+ │\s+0 │/, "unrelated areas still pass");
    } finally {
      await broken.stop();
    }
  });

  it("fails the advanced suite, naming the behaviour, when the cache forgets dependencies", async () => {
    const broken = await startWorker({ fault: "cache-shallow-invalidate" });
    try {
      const res = await perfdo(["run", "e2e/advanced", "--target", `local=${broken.address}`, "--profile", "smoke", "--iterations", "1", "--gate", "--quiet", "--no-results"]);
      assert.equal(res.code, 3, "the 100 % checks gate fails the run");
      assert.match(res.stdout, /FAILED cache: a transitive dependent is gone after the cascade/);
      for (const area of ["columnar", "temporal", "vector", "inverted"]) assert.match(res.stdout, new RegExp(`│ ${area}\\s+│\\s+\\d+ │\\s+\\d+ │\\s+0 │`), `${area} still passes`);
    } finally {
      await broken.stop();
    }
  });

  it("fails the streaming suite, naming the behaviour, when dedup forgets the ids it has seen", async () => {
    const broken = await startWorker({ fault: "dedup-forgets" });
    try {
      const res = await perfdo(["run", "e2e/streaming", "--target", `local=${broken.address}`, "--profile", "smoke", "--iterations", "1", "--gate", "--quiet", "--no-results"]);
      assert.equal(res.code, 3, "the 100 % checks gate fails the run");
      assert.match(res.stdout, /FAILED transactions: dedup: a duplicate message is not processed again/);
      assert.match(res.stdout, /FAILED transactions: Idempotency-Key: a repeat gets the first answer, marked replayed/);
      for (const area of ["windows", "watermarks", "state", "router", "cdc"]) assert.match(res.stdout, new RegExp(`│ ${area}\\s+│\\s+\\d+ │\\s+\\d+ │\\s+0 │`), `${area} still passes`);
    } finally {
      await broken.stop();
    }
  });

  it("fails the workflow suite, naming the behaviour, when the alarm never fires timers", async () => {
    const broken = await startWorker({ fault: "timers-never-fire" });
    try {
      const res = await perfdo(["run", "e2e/workflow", "--target", `local=${broken.address}`, "--profile", "smoke", "--iterations", "1", "--gate", "--quiet", "--no-results"]);
      assert.equal(res.code, 3, "the 100 % checks gate fails the run");
      assert.match(res.stdout, /FAILED timers: due timers fire on the Durable Object alarm/);
      for (const area of ["workflows", "activities", "signals"]) assert.match(res.stdout, new RegExp(`│ ${area}\\s+│\\s+\\d+ │\\s+\\d+ │\\s+0 │`), `${area} still passes`);
    } finally {
      await broken.stop();
    }
  });
});
