import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { appendResults } from "../../lib/node/history/append";
import { toBenchmarkResults } from "../../lib/node/results/convert";
import { readRawOutput } from "../../lib/node/results/k6-output";
import { readK6Summary } from "../../lib/node/results/k6-summary";
import { perfdo, ROOT, tempDir } from "./helpers";

// The HTML report opened in a real browser (Debian's chromium, headless): the charts must render.

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function historyFromCapturedRuns(dir: string): Promise<number> {
  const fixture = join(ROOT, "fixtures", "k6", "things-smoke");
  const raw = await readRawOutput(join(fixture, "raw.json.gz"));
  const summary = readK6Summary(join(fixture, "summary.json"));
  let lines = 0;
  for (const [i, day] of ["2026-11-20T09:00:00Z", "2026-11-21T09:00:00Z", "2026-11-22T09:00:00Z"].entries()) {
    const results = toBenchmarkResults(raw, summary, {
      scenario: "stores/things", profile: "smoke", targetKind: "local", fallbackHost: "perf.do",
      startedAt: new Date(day), k6Version: "v2.2.0", runId: `captured-${i}`,
    });
    await appendResults(dir, results, new Date(day));
    lines += results.length;
  }
  return lines;
}

describe("HTML report in headless Chromium", { skip: !CHROMIUM && process.env.CI !== "true" ? "chromium not installed (apt-get install chromium)" : false }, () => {
  it("renders one trend chart per benchmark with p50, p95 and p99 series", async () => {
    assert.ok(CHROMIUM, "Debian's chromium is required in CI (.ci/run installs it)");
    const dir = tempDir("html");
    const lines = await historyFromCapturedRuns(dir);
    const out = join(dir, "report.html");
    const res = await perfdo(["report", "--format", "html", "--all", "--results-dir", dir, "--out", out]);
    assert.equal(res.code, 0, res.stderr);

    const browser = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${tempDir("chromium")}`, "--virtual-time-budget=3000", "--dump-dom", `file://${out}`], {
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(browser.status, 0, browser.stderr);
    const dom = browser.stdout;
    assert.match(dom, /<body data-charts-rendered="5"/, "the inline script drew all 5 charts");
    assert.equal((dom.match(/<svg class="trend"/g) ?? []).length, 5);
    for (const stat of ["p50", "p95", "p99"]) {
      const paths = dom.match(new RegExp(`<path class="series s-${stat}" d="M[\\d.]+ [\\d.]+ L[\\d.]+ [\\d.]+ L[\\d.]+ [\\d.]+"`, "g")) ?? [];
      assert.equal(paths.length, 5, `a three-point ${stat} line in every chart`);
    }
    assert.match(dom, new RegExp(`from ${lines} result lines, 5 benchmarks`));
  });

  it("renders the colo matrix of a real network/colo-matrix run as a heatmap", async () => {
    assert.ok(CHROMIUM, "Debian's chromium is required in CI (.ci/run installs it)");
    const dir = tempDir("colo");
    // 9 VUs × 9 iterations: every one of the 81 source × target pairs once.
    const run = await perfdo(["run", "network/colo-matrix", "--profile", "smoke", "--vus", "9", "--iterations", "9", "--quiet", "--results-dir", dir]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const out = join(dir, "report.html");
    const res = await perfdo(["report", "--format", "html", "--results-dir", dir, "--out", out]);
    assert.equal(res.code, 0, res.stderr);
    const browser = spawnSync(CHROMIUM as string, [...FLAGS, `--user-data-dir=${tempDir("chromium")}`, "--virtual-time-budget=3000", "--dump-dom", `file://${out}`], { encoding: "utf8", timeout: 60_000 });
    assert.equal(browser.status, 0, browser.stderr);
    const dom = browser.stdout;
    assert.match(dom, /<table class="colo-matrix" data-scenario="network\/colo-matrix">/);
    const cells = [...dom.matchAll(/<td class="n heat" style="background: ?hsl\((\d+), ?70%, ?80%\);?" data-ms="([\d.]+)">/g)];
    assert.equal(cells.length, 81, "one coloured cell per pair");
    // One sample per pair, so a cell may carry a connection's first request; still, each same-colo
    // cell is greener (faster) than its row's slowest cross-colo cell, and the slowest pair is red.
    for (let row = 0; row < 9; row++) {
      const hues = cells.slice(row * 9, row * 9 + 9).map((c) => Number(c[1]));
      assert.ok((hues[row] as number) > Math.min(...hues), `row ${row}: same colo ${hues[row]} vs ${hues.join(",")}`);
    }
    assert.ok(cells.some((c) => Number(c[1]) === 0), "the slowest pair is red");
    const console = await perfdo(["report", "--results-dir", dir]);
    assert.match(console.stdout, /colo matrix: network\/colo-matrix .*p50 ms, source ↓ × target →/);
  });
});

