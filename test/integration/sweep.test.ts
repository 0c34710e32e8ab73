import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { perfdo, readResults, tempDir } from "./helpers";

// perfdo sweep against the local Worker: a matrix row per level, each level a run in history; and
// --find-limit, which never offers more than --max-rate and records the knee as <scenario>.max-rate.

describe("perfdo sweep", () => {
  it("runs each rate as a normal run and prints one matrix row per level", async () => {
    const results = tempDir("sweep");
    const res = await perfdo(["sweep", "network/echo", "--rates", "10,20", "--duration", "3s", "--results-dir", results], {}, 180_000);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /network\/echo: sweep over arrival rate \(profile sustain\)/);
    assert.match(res.stdout, /│ 10\s+│ \d+\s+│ 0\s+│ 100\.00%/);
    assert.match(res.stdout, /│ 20\s+│ \d+\s+│ 0\s+│ 100\.00%/);
    const runs = new Set(readResults(results).map((l) => l.runId));
    assert.equal(runs.size, 2, "each level is a run of its own in history");
  });

  it("--find-limit stops at --max-rate when every level passes and records <scenario>.max-rate", async () => {
    const results = tempDir("sweep-limit");
    const res = await perfdo(["sweep", "network/echo", "--find-limit", "--p95", "1000", "--start-rate", "10", "--max-rate", "25", "--duration", "3s", "--results-dir", results], {}, 180_000);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /limit: 25\/s \(the --max-rate cap/);
    const offered = readResults(results).filter((l) => l.name === "echo.ping").map((l) => Math.round(l.offeredRate ?? 0));
    assert.ok(Math.max(...offered) <= 26, `never above --max-rate: ${offered.join(",")}`);
    const knee = readResults(results).find((l) => l.name === "network/echo.max-rate");
    assert.equal(knee?.rps, 25);
  });

  it("--find-limit reports no limit when even the lowest rate fails, and needs --p95", async () => {
    const res = await perfdo(["sweep", "network/echo", "--find-limit", "--p95", "0.001", "--start-rate", "2", "--duration", "2s", "--no-results"], {}, 180_000);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /no rate tried met the limits \(lowest tried: 1\/s\)/);
    const bad = await perfdo(["sweep", "network/echo", "--find-limit"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--find-limit needs --p95/);
  });
});
