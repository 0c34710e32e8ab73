import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pruneRunArtifacts } from "../../lib/node/run/prune";

describe("run artifact retention", () => {
  it("drops raw outputs and summaries of all but the newest runs, keeping every samples.json", () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-runs-"));
    const runs = ["2026-11-20T10-00-00-000Z-a", "2026-11-21T10-00-00-000Z-a", "2026-11-22T10-00-00-000Z-a"];
    for (const run of runs) {
      mkdirSync(join(dir, run));
      for (const f of ["raw.json.gz", "raw-1.json.gz", "raw.perfdo", "raw-1.perfdo", "summary.json", "summary-1.json", "samples.json"]) writeFileSync(join(dir, run, f), "x");
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(join(dir, run), hourAgo, hourAgo);
    }
    const pruned = pruneRunArtifacts(dir, 1);
    assert.equal(pruned.length, 12);
    for (const run of runs.slice(0, 2)) {
      assert.equal(existsSync(join(dir, run, "raw.json.gz")), false);
      assert.equal(existsSync(join(dir, run, "raw-1.perfdo")), false);
      assert.equal(existsSync(join(dir, run, "summary-1.json")), false);
      assert.equal(existsSync(join(dir, run, "samples.json")), true);
    }
    assert.equal(existsSync(join(dir, runs[2] as string, "raw.json.gz")), true, "the newest run keeps everything");
  });

  it("never prunes a run younger than 15 minutes: another perfdo may still be reading it", () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-runs-"));
    for (const run of ["2026-11-20T10-00-00-000Z-a", "2026-11-21T10-00-00-000Z-a"]) {
      mkdirSync(join(dir, run));
      writeFileSync(join(dir, run, "raw.perfdo"), "x");
    }
    assert.deepEqual(pruneRunArtifacts(dir, 0), []);
  });
});
