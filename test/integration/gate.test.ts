import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { scenarioEntry } from "../../lib/node/build/catalog";
import type { LocalTarget } from "../../lib/node/target/local";
import { perfdo, readResults, ROOT, startWorker, tempDir, total } from "./helpers";

// Thresholds are advisory unless --gate; bad input stops before any k6 process starts.

function thresholdsDir(content: object | string): string {
  const dir = tempDir("thresholds");
  mkdirSync(join(dir, "network"), { recursive: true });
  writeFileSync(join(dir, "network", "echo.json"), typeof content === "string" ? content : JSON.stringify(content));
  return dir;
}

const IMPOSSIBLE = { operations: { "echo.ping": { p50: 0.001 } } };

describe("thresholds as gates", () => {
  let worker: LocalTarget;
  before(async () => {
    worker = await startWorker();
  });
  after(async () => {
    await worker?.stop();
  });

  const smokeEcho = (extra: string[], results: string): string[] => [
    "run", "network/echo", "--target", `local=${worker.address}`, "--profile", "smoke", "--iterations", "2",
    "--quiet", "--results-dir", results, ...extra,
  ];

  it("reports a breach loudly but exits 0 by default", async () => {
    const results = tempDir("results");
    const res = await perfdo(smokeEcho(["--thresholds-dir", thresholdsDir(IMPOSSIBLE)], results));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /THRESHOLDS BREACHED \(advisory: exit code 0; pass --gate to fail the run\)/);
    assert.match(res.stdout, /echo\.ping.*FAIL p\(50\)<0\.001/);
    const ping = readResults(results).find((r) => r.name === "echo.ping");
    assert.equal(ping?.thresholdsPassed, false);
  });

  it("fails with exit code 3 under --gate, still writing the results", async () => {
    const results = tempDir("results");
    const res = await perfdo(smokeEcho(["--gate", "--thresholds-dir", thresholdsDir(IMPOSSIBLE)], results));
    assert.equal(res.code, 3);
    assert.match(res.stdout, /THRESHOLDS BREACHED: failing the run \(--gate\)/);
    assert.equal(readResults(results).length, 4);
  });

  it("passes the gate when thresholds hold", async () => {
    const results = tempDir("results");
    const res = await perfdo(smokeEcho(["--gate"], results));
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.doesNotMatch(res.stdout, /BREACHED/);
  });

  it("a broken thresholds file gives one line naming file and field, and starts no k6", async () => {
    const results = tempDir("results");
    await worker.resetServed();
    const broken = thresholdsDir({ operations: { "echo.ping": { p95: "fast" } } });
    const res = await perfdo(smokeEcho(["--thresholds-dir", broken], results));
    assert.equal(res.code, 2);
    const lines = res.stderr.trim().split("\n");
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0] as string, /^perfdo: .*network\/echo\.json: operations\.echo\.ping\.p95: .*number/);
    assert.equal(total(await worker.served()), 0, "no request reached the Worker");
    // Scripts built with other thresholds go to a folder of their own: none was built, so no k6 ran one
    // (build/runs is shared with the integration files running alongside, so it cannot tell).
    assert.ok(!existsSync(scenarioEntry(ROOT, "network/echo", broken).script), "no script was built with the broken thresholds");
    assert.equal(readResults(results).length, 0);
  });

  it("an unknown scenario gives one line and starts no k6", async () => {
    await worker.resetServed();
    const res = await perfdo(["run", "network/nope", "--target", `local=${worker.address}`]);
    assert.equal(res.code, 2);
    const lines = res.stderr.trim().split("\n");
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0] as string, /^perfdo: unknown scenario "network\/nope" \(known: [^)]*network\/echo, [^)]*stores\/things\)$/);
    assert.equal(total(await worker.served()), 0);
  });

  it("refuses a VU count the machine cannot hold, in one line, before k6 starts", async () => {
    const res = await perfdo(["run", "network/echo", "--target", `local=${worker.address}`, "--vus", "99999999"]);
    assert.equal(res.code, 2);
    const lines = res.stderr.trim().split("\n");
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0] as string, /--vus <n>.*99999999 VUs need at least \d+ GB \(0\.2 MB each\) and this machine has [\d.]+ GB; at most \d+/);
  });

  it("refuses a target that is neither loopback nor allow-listed", async () => {
    const res = await perfdo(["run", "network/echo", "--target", "example.com"]);
    assert.equal(res.code, 2);
    assert.match(res.stderr.trim(), /^perfdo: target domain "example\.com" is not allow-listed/);
  });

  it("a wrong K6_BIN stops with exit code 4 and says what is needed", async () => {
    const res = await perfdo(["run", "network/echo", "--target", `local=${worker.address}`], { K6_BIN: "/bin/true" });
    assert.equal(res.code, 4);
    assert.match(res.stderr, /K6_BIN=\/bin\/true does not run as k6; this harness needs k6 v2\./);
  });
});
