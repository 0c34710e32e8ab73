import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { perfdo, readResults, startWorker, tempDir } from "./helpers";

// perf.do-aware findings: which of the four Durable Object overloads a run hit, and how hard it
// loaded its busiest objects against the ~1,000 requests/s one object serves. The local Worker's
// do-overloaded fault fails every other request as the platform does (an Error with overloaded: true
// and one of the four messages, deploy/src/overload.ts), through the same handler a real one takes.

let dir: string;
before(() => {
  dir = tempDir("overload");
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("overloaded Durable Objects", () => {
  it("are classified by kind on each operation's line and named in the run's output", async () => {
    const worker = await startWorker({ fault: "do-overloaded" });
    try {
      const results = join(dir, "overloaded");
      const res = await perfdo(["run", "network/echo", "--target", `local=${worker.address}`, "--rate", "20", "--duration", "3s", "--results-dir", results, "--quiet"]);
      assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
      const lines = readResults(results);
      const kinds: Record<string, number> = {};
      for (const l of lines) for (const [kind, n] of Object.entries(l.overloads ?? {})) kinds[kind] = (kinds[kind] ?? 0) + n;
      assert.deepEqual(Object.keys(kinds).sort(), ["queue-bytes", "queue-count", "queue-time", "rate"], JSON.stringify(kinds));
      // Every other request was refused: the overloads are the run's errors, no more, no fewer.
      const errors = lines.reduce((n, l) => n + l.errors, 0);
      assert.equal(Object.values(kinds).reduce((a, b) => a + b, 0), errors);
      assert.ok(errors > 0);
      assert.match(res.stdout, /OVERLOADED: Durable Objects refused \d+ request\(s\) as overloaded/);
      assert.match(res.stdout, /^  echo\.[\w-]+: (queue-\w+|rate) \d+/m);
    } finally {
      await worker.stop();
    }
  });

  it("are not claimed for a run without them; the busiest objects are named against the soft limit", async () => {
    const results = join(dir, "healthy");
    const res = await perfdo(["run", "network/echo", "--rate", "20", "--duration", "3s", "--results-dir", results, "--quiet"]);
    assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
    assert.doesNotMatch(res.stdout, /OVERLOADED/);
    assert.ok(readResults(results).every((l) => l.overloads === undefined));
    assert.match(res.stdout, /busiest objects: echo\.perf\.do \d+\/s \(\d+ %\) of the ~1,000\/s one Durable Object serves before refusing/);
  });
});
