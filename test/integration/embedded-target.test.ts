import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { perfdo, readResults, tempDir } from "./helpers";

// The default target: perfdo starts the reference Worker itself, waits for /health, stops it after.

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("the embedded local target", () => {
  it("is started for the run and stopped afterwards", async () => {
    const results = tempDir("results");
    const res = await perfdo(["run", "stores/things", "--profile", "smoke", "--iterations", "3", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stderr);
    const port = Number(/local perf\.do Worker \(workerd\) on 127\.0\.0\.1:(\d+)/.exec(res.stderr)?.[1]);
    assert.ok(port > 0, res.stderr);
    assert.equal(await portOpen(port), false, "the Worker is gone after the run");
    const lines = readResults(results);
    assert.equal(lines.length, 5);
    for (const line of lines) {
      assert.equal(line.iterations, 3);
      assert.equal(line.errors, 0);
      assert.equal(line.target, "stores.perf.do");
    }
  });
});
