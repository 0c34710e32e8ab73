import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { perfdo, readResults, tempDir } from "./helpers";

// Tier ladders in a thresholds file, end to end: k6 gates on `acceptable`, each operation gets the
// highest tier its laddered limits met, and console, JSONL, Markdown and HTML show it.

function thresholds(dir: string, operations: unknown): string {
  mkdirSync(join(dir, "network"), { recursive: true });
  writeFileSync(join(dir, "network", "echo.json"), JSON.stringify({ operations }));
  return dir;
}

describe("tier ladders (target / acceptable)", () => {
  it("shows the tier each operation met in the table, the results, Markdown and HTML", async () => {
    const dir = thresholds(tempDir("tiers"), {
      "echo.ping": { p95: { target: 1000, acceptable: 2000 } },
      "echo.echo-100b": { p95: { target: 0.001, acceptable: 2000 } },
      "echo.echo-1kb": { p95: { acceptable: 2000 } },
      "echo.echo-10kb": { p95: { target: 0.0001, acceptable: 0.001 } },
    });
    const results = tempDir("tiers-results");
    const res = await perfdo(["run", "network/echo", "--thresholds-dir", dir, "--profile", "smoke", "--iterations", "3", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /echo\.ping[^\n]*ok \(\d+\) · ✅ target/);
    assert.match(res.stdout, /echo\.echo-100b[^\n]*ok \(\d+\) · ⚠️ acceptable/);
    assert.match(res.stdout, /echo\.echo-10kb[^\n]*FAIL[^\n]*· ❌ below acceptable/);
    assert.match(res.stdout, /warning: thresholds: echo\.echo-1kb p95 is a tier ladder without a "target"/);
    const byName = new Map(readResults(results).map((l) => [l.name, l]));
    assert.equal(byName.get("echo.ping")?.tier, "target");
    assert.equal(byName.get("echo.echo-1kb")?.tier, "acceptable");
    assert.deepEqual(byName.get("echo.echo-100b")?.tiers?.map((t) => [t.limit, t.target, t.acceptable, t.met]), [["p95", 0.001, 2000, "acceptable"]]);
    assert.equal(byName.get("echo.echo-10kb")?.tier, "none");
    assert.equal(byName.get("echo.echo-10kb")?.thresholdsPassed, false, "the gate is acceptable");
    const md = await perfdo(["report", "--format", "markdown", "--results-dir", results]);
    assert.match(md.stdout, /echo\.ping \|[^\n]*ok · ✅ target \(p95 ✅\)/);
    const html = await perfdo(["report", "--format", "html", "--results-dir", results]);
    // CSS marks, not emoji (a server's headless Chromium has no emoji font).
    assert.match(html.stdout, /ok · <span class="mark near" role="img" aria-label="acceptable"><\/span> acceptable \(p95 <span class="mark near"/);
  });

  it("refuses a ladder without acceptable (the gate), in one line, exit 2", async () => {
    const dir = thresholds(tempDir("tiers-bad"), { "echo.ping": { p95: { target: 5 } } });
    const res = await perfdo(["run", "network/echo", "--thresholds-dir", dir, "--profile", "smoke", "--iterations", "1", "--quiet", "--no-results"]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /operations\.echo\.ping\.p95: .*"acceptable", the gate, is required/);
  });

  it("judges readiness tiers on the whole run and shows the highest met", async () => {
    const dir = tempDir("readiness");
    mkdirSync(join(dir, "network"), { recursive: true });
    writeFileSync(join(dir, "network", "echo.json"), JSON.stringify({
      operations: { "*": { errorRate: 0.01 } },
      readiness: { mvp: { rps: 40, p95: 1000 }, production: { rps: 200, p95: 1000 }, stretch: { rps: 1000, p95: 0.001 } },
    }));
    const results = tempDir("readiness-results");
    const res = await perfdo(["run", "network/echo", "--thresholds-dir", dir, "--profile", "sustain", "--rate", "20", "--duration", "3s", "--quiet", "--results-dir", results]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /readiness: mvp \(mvp ✅; production ❌ rps \d+\.\d < 200; stretch ❌ rps \d+\.\d < 1000, p95 [\d.]+ ms > 0\.001 ms\)/);
    const lines = readResults(results);
    assert.ok(lines.length > 0 && lines.every((l) => l.readiness?.tier === "mvp"));
    const md = await perfdo(["report", "--format", "markdown", "--results-dir", results]);
    assert.match(md.stdout, /### Readiness\n\n- network\/echo \([^)]*\): readiness: mvp/);
  });
});

