import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startCalibrationServer, type CalibrationServer } from "../../lib/node/calibrate/server";
import type { BenchmarkResult } from "../../lib/node/results/schema";
import { measured, perfdo, readResults, ROOT, tempDir } from "./helpers";

// The report of one run (perfdo report --run <runId> --format html), built from a real run's raw
// capture and opened in headless Chromium: every chart present, its figures those of the result lines.
// The run: calibration/ping at 40 it/s for 12 s with 5 VUs against a target that stalls 1 s every
// 5 s and answers every 25th request 503, so latency spikes, dropped iterations, errors and failed
// checks all appear on the time axis.

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"];

const servers: CalibrationServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function chromium(args: string[]): { dom: string; seconds: number } {
  const started = performance.now();
  const browser = spawnSync(CHROMIUM as string, [...FLAGS, `--user-data-dir=${tempDir("chromium")}`, ...args], { encoding: "utf8", timeout: 60_000, maxBuffer: 64 << 20 });
  assert.equal(browser.status, 0, browser.stderr);
  return { dom: browser.stdout, seconds: (performance.now() - started) / 1000 };
}

/** The capture's end for `copies` copies of it `spanSeconds` apart: its seconds (B lines), totals (A lines: count and sum), ticks and end line. */
function totals(capture: readonly string[], copies: number, spanSeconds: number): string[] {
  const seconds = capture.filter((l) => l.startsWith("B ")).flatMap((l) => {
    const [, id, second, count, sum] = l.split(" ");
    return Array.from({ length: copies }, (_, c) => `B ${id} ${Number(second) + Math.round(c * spanSeconds)} ${count} ${sum}`);
  });
  return [
    ...seconds,
    ...capture
      .filter((l) => /^[ATE] /.test(l))
      .map((l) => {
        const [kind, id, count, sum] = l.split(" ");
        return kind === "A" ? `A ${id} ${Number(count) * copies} ${Number(sum) * copies}` : l;
      }),
  ];
}

/** The data- attributes of the figure with this id in the DOM Chromium dumped. */
function figure(dom: string, id: string): Record<string, string> {
  const m = new RegExp(`<figure class="chart" id="${id.replace(/\./g, "\\.")}"([^>]*)>`).exec(dom);
  assert.ok(m, `chart ${id} is present`);
  return Object.fromEntries([...(m[1] as string).matchAll(/data-([\w-]+)="([^"]*)"/g)].map((a) => [a[1] as string, a[2] as string]));
}

describe("the report of one run", { skip: !CHROMIUM && process.env.CI !== "true" ? "chromium not installed (apt-get install chromium)" : false }, () => {
  let line: BenchmarkResult;
  let results: string;

  it("is built from a real run and checked in Chromium: every chart present, figures matching the result line", async () => {
    assert.ok(CHROMIUM, "Debian's chromium is required in CI (.ci/run installs it)");
    const target = await startCalibrationServer({ serviceMs: [2, 3, 4, 5], stallEveryMs: 5_000, stallMs: 1_000, failEvery: 25, log: false });
    servers.push(target);
    results = tempDir("results");
    const run = await perfdo(["run", "calibration/ping", "--target", `local=${target.address}`, "--profile", "sustain", "--rate", "40", "--duration", "12s", "--vus", "5", "--max-vus", "5", "--quiet", "--results-dir", results]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    [line] = readResults(results) as [BenchmarkResult];
    assert.ok(line.latency && line.errors > 0 && (line.droppedIterations ?? 0) > 0, JSON.stringify(line));

    const out = join(tempDir("run-report"), "run.html");
    const built = await perfdo(["report", "--run", line.runId, "--format", "html", "--results-dir", results, "--out", out]);
    assert.equal(built.code, 0, built.stderr);
    const { dom } = chromium(["--dump-dom", `file://${out}`]);
    const op = "calibration.ping";
    assert.match(dom, new RegExp(`<body data-run="${line.runId}" data-charts="8"`));
    assert.equal((dom.match(/<svg class="run-chart"/g) ?? []).length, 8, "VUs, failures, transfer, phases, iterations, and latency, rate, spectrum of the one operation");

    // Per second: p50/p95/p99 lines, one point a second (a gap only where a second had no response).
    const latency = figure(dom, `latency-${op}`);
    assert.ok(Number(latency.seconds) >= 12 && Number(latency.seconds) <= 16, `${latency.seconds} seconds`);
    for (const stat of ["p50", "p95", "p99"]) assert.match(dom, new RegExp(`<path class="series c-${stat}" data-series="${stat}" d="M[\\d.]+ [\\d.]+( L[\\d.]+ [\\d.]+){5,}`), `${stat} over time`);
    // The time axis adds up to the result line.
    const rate = figure(dom, `rate-${op}`);
    assert.equal(Number(rate.requests), line.iterations, "requests per second sum to the line's requests");
    assert.equal(Number(rate.errors), line.errors, "errors per second sum to the line's errors");
    const failures = figure(dom, "failures");
    assert.equal(Number(failures.errors), line.errors, "failed requests over time");
    assert.ok(Number(failures["failed-checks"]) >= line.errors, "each 503 fails its status check");
    const vus = figure(dom, "vus");
    assert.equal(Number(vus.dropped), line.droppedIterations, "dropped iterations over time sum to the line's");
    // The pool is the 5 VUs given. k6 counts the busy ones once a second, which may or may not fall in a stall.
    assert.equal(Number(vus["pool-max"]), 5, "a pool of 5 VUs");
    assert.ok(Number(vus["vus-max"]) <= 5);
    assert.match(dom, /<path class="series c-vus" data-series="active VUs" d="M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){9,}/, "busy VUs each second");
    // Bytes: every request sent its headers and got a small JSON body back (about 100–300 bytes each way).
    const transfer = figure(dom, "transfer");
    for (const way of ["sent", "received"]) assert.ok(Number(transfer[way]) > line.iterations * 50 && Number(transfer[way]) < line.iterations * 1000, `${way}: ${transfer[way]} bytes for ${line.iterations} requests`);
    // k6's web dashboard's timings: each request phase's mean per second, and the iterations'.
    figure(dom, "phases");
    figure(dom, "iterations");
    for (const phase of ["blocked", "connecting", "TLS", "sending", "waiting", "receiving"]) assert.match(dom, new RegExp(`<path class="series [\\w-]+" data-series="${phase}" d="M`), `${phase} over time`);
    const waiting = /data-series="waiting" d="([^"]+)"/.exec(dom)?.[1] ?? "";
    assert.ok(waiting.split(/[ML]/).filter((p) => p.trim()).length >= 10, "waiting: a point each second");
    // The spectrum's p99 and the table are the line's own figures.
    assert.equal(Number(figure(dom, `spectrum-${op}`).p99), line.latency.p99);
    assert.match(dom, /data-series="corrected \(\d+ omitted\)"/, "the corrected spectrum beside the service time");
    assert.match(dom, new RegExp(`<td class="n" data-p95="${line.latency.p95}">`));
    assert.match(dom, /<td>calibration\.ping: status is 2xx<\/td>/, "failed checks by name");

    // The screenshot docs/ shows (PERFDO_UPDATE_SCREENSHOT=1 writes it there).
    const png = join(tempDir("shot"), "run-report.png");
    chromium([`--screenshot=${png}`, "--window-size=1280,2500", `file://${out}`]);
    assert.ok(statSync(png).size > 20_000, "a screenshot with something drawn");
    if (process.env.PERFDO_UPDATE_SCREENSHOT === "1") copyFileSync(png, join(ROOT, "docs", "run-report.png"));
  });

  it("the trend report links each point to its run's report", async () => {
    assert.ok(line, "needs the run above");
    const dir = tempDir("trend");
    const out = join(dir, "trend.html");
    const res = await perfdo(["report", "--format", "html", "--all", "--results-dir", results, "--out", out]);
    assert.equal(res.code, 0, res.stderr);
    const href = `trend-runs/${encodeURIComponent(line.runId)}.html`;
    assert.ok(existsSync(join(dir, href)), "the linked run report is written beside the trend report");
    const { dom } = chromium(["--virtual-time-budget=3000", "--dump-dom", `file://${out}`]);
    assert.equal((dom.match(new RegExp(`<a href="${href}" class="run-link">`, "g")) ?? []).length, 3, "p50, p95 and p99 points link to the run");
  });

  it("a level of a sweep shows latency against throughput over every level, the knee marked", async () => {
    assert.ok(CHROMIUM, "Debian's chromium is required in CI (.ci/run installs it)");
    // One request at a time, 20 ms each (a Durable Object's single thread): 50 requests/s at most, so
    // at 80/s the queue grows for the whole level and its p95 with it.
    const target = await startCalibrationServer({ serviceMs: [20], serial: true, log: false });
    servers.push(target);
    const dir = tempDir("sweep");
    const sweep = await perfdo(["sweep", "calibration/ping", "--rates", "10,20,80", "--duration", "3s", "--target", `local=${target.address}`, "--results-dir", dir], {}, 180_000);
    assert.equal(sweep.code, 0, sweep.stdout + sweep.stderr);
    const lines = readResults(dir);
    assert.equal(lines.length, 3, "one line per level");
    assert.equal(new Set(lines.map((l) => l.sweep?.id)).size, 1, "the levels share their sweep's id");
    // The rule (docs/results.md): the highest level before one whose p95 exceeds twice the lowest's,
    // or that dropped iterations or failed more than 1 % of its requests.
    const sorted = [...lines].sort((a, b) => (a.sweep?.level ?? 0) - (b.sweep?.level ?? 0));
    let knee: number | undefined;
    for (const l of sorted) {
      if ((l.latency?.p95 ?? Infinity) > (sorted[0]?.latency?.p95 ?? 0) * 2 || (l.droppedIterations ?? 0) > 0 || l.errorRate > 0.01) break;
      knee = l.sweep?.level;
    }
    assert.ok((sorted[2]?.latency?.p95 ?? 0) > 200, `the top level queued: p95 ${sorted[2]?.latency?.p95} ms`);
    assert.ok(knee !== undefined && knee < 80, `knee ${knee}`);
    const out = join(tempDir("sweep-report"), "level.html");
    const built = await perfdo(["report", "--run", (sorted[0] as BenchmarkResult).runId, "--format", "html", "--results-dir", dir, "--out", out]);
    assert.equal(built.code, 0, built.stderr);
    const { dom } = chromium(["--dump-dom", `file://${out}`]);
    const chart = figure(dom, "sweep");
    assert.equal(chart.levels, "3");
    assert.equal(chart.knee, String(knee));
    assert.match(dom, new RegExp(`<text class="marker-label"[^>]*>knee: ${knee}/s</text>`));
    assert.match(dom, /<path class="series c-p95" data-series="p95" d="M[\d.]+ [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+"/, "p95 at each of the 3 levels");
  });

  it("a run of one million samples renders in under 5 s and its file stays under 2 MB", async (t) => {
    assert.ok(line, "needs the run above");
    // The real capture, repeated with its times shifted until it holds a million responses over 10
    // minutes (~1,700/s): what a long run's capture looks like to the report, without running it here.
    const capture = readFileSync(join(ROOT, "build", "runs", line.runId, "raw.perfdo"), "utf8").split("\n");
    const header = capture.filter((l) => /^(#|S )/.test(l));
    const samples = capture.filter((l) => /^\d/.test(l));
    const durationSeries = new Set(header.filter((l) => / http_req_duration /.test(l)).map((l) => l.split(" ")[1]));
    const responses = samples.filter((l) => durationSeries.has(l.split(" ")[0]));
    const copies = Math.ceil(1_000_000 / responses.length);
    const spanMicros = 600_000_000 / copies;
    const body: string[] = [];
    for (let c = 0; c < copies; c++) {
      for (const l of samples) {
        const [id, micros, value] = l.split(" ");
        body.push(`${id} ${Math.round(Number(micros) + c * spanMicros)} ${value}`);
      }
    }
    const runId = `2026-12-01T00-00-00-000Z-million-${process.pid}`;
    const folder = join(ROOT, "build", "runs", runId);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "raw.perfdo"), `${[...header, ...body, ...totals(capture, copies, spanMicros / 1e6)].join("\n")}\n`);
    const out = join(tempDir("million"), "run.html");
    const started = performance.now();
    const built = await perfdo(["report", "--run", runId, "--format", "html", "--results-dir", tempDir("empty"), "--out", out], {}, 120_000);
    const buildSeconds = (performance.now() - started) / 1000;
    rmSync(folder, { recursive: true, force: true }); // 26 MB of made-up capture: not left in build/runs
    assert.equal(built.code, 0, built.stderr);
    const size = statSync(out).size;
    const { dom, seconds } = chromium(["--dump-dom", `file://${out}`]);
    assert.match(dom, /data-charts="8"/);
    assert.match(dom, /from the run's raw capture \(1,\d{3},\d{3} lines, 6\d\d s\)/, "a million responses over ten minutes");
    // Seen over 8 runs: Chromium start to DOM dumped 1.6–2.1 s, file 0.087–0.096 MB (0.126 MB since the
    // timing charts), built in 2.4–2.7 s (one pass over 26 MB of capture); 5 s and 2 MB, the issue's
    // limits, are 2.4x and 16x above that.
    measured(t, "million-sample report: Chromium seconds", seconds);
    measured(t, "million-sample report: MB", size / 1e6);
    measured(t, "million-sample report: build seconds", buildSeconds);
    assert.ok(seconds < 5, `Chromium took ${seconds.toFixed(2)} s`);
    assert.ok(size < 2_000_000, `${size} bytes`);
  });
});
