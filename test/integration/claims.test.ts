import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ClaimRow } from "../../lib/node/claims/judge";
import type { Ledger } from "../../lib/node/claims/ledger";
import { perfdo, ROOT, tempDir } from "./helpers";

// The claims ledger judged from real runs: `perfdo claims --run` runs what a (trimmed) ledger needs
// against the local Worker, then `perfdo claims` judges each claim by the runs that measured it
// (one here: indicative; the rules for three and more are test/unit/claims.test.ts's). A ledger is
// data: changing one claim's expected range changes its verdict, no code touched.

const ledger = JSON.parse(readFileSync(join(ROOT, "claims", "perf-do.json"), "utf8")) as Ledger;
let dir: string;
let results: string;

const withClaims = (ids: string[], edit: (l: Ledger) => void = () => {}): string => {
  const l: Ledger = JSON.parse(JSON.stringify({ ...ledger, claims: ledger.claims.filter((c) => ids.includes(c.id)) })) as Ledger;
  edit(l);
  const path = join(dir, `ledger-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(l));
  return path;
};

async function judged(path: string): Promise<ClaimRow[]> {
  const res = await perfdo(["claims", "--ledger", path, "--results-dir", results, "--format", "json"]);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout) as ClaimRow[];
}

before(async () => {
  dir = tempDir("claims");
  results = join(dir, "results");
  // The Iceberg claims and global latency, with short runs: perf/iceberg and network/echo, for real.
  const path = withClaims(["iceberg-cached", "iceberg-cold", "scatter-gather", "global-latency"], (l) => {
    for (const c of l.claims) if (c.run.local) c.run.local.args = [...c.run.local.args.filter((a, i, all) => a !== "--duration" && all[i - 1] !== "--duration"), "--duration", "4s"];
  });
  const res = await perfdo(["claims", "--run", "--ledger", path, "--results-dir", results], {}, 300_000);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stderr, /perfdo claims: iceberg-cached, iceberg-cold, scatter-gather: perfdo run perf\/iceberg/, "one run serves the three claims that share it");
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("perfdo claims", () => {
  it("judges each claim by the run that measured it, and never lets a local run judge what it cannot", async () => {
    const rows = await judged(withClaims(ledger.claims.map((c) => c.id)));
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal(rows.length, 9, "every claim of the ledger has a row");
    const cached = byId.get("iceberg-cached") as ClaimRow;
    assert.ok(cached.measured !== null && cached.measured > 0 && cached.runId, JSON.stringify(cached));
    assert.equal(cached.targetKind, "local");
    // One run is not a verdict: indicative, leaning one way, on what the local model stands on.
    assert.equal(cached.verdict, "indicative");
    assert.equal(cached.runs, 1);
    assert.ok(cached.direction !== null && ["holds", "better", "worse"].includes(cached.direction));
    assert.equal(cached.evidence, "local");
    assert.match(cached.localModel ?? "", /in-memory R2/);
    assert.equal(cached.evidenceRuns[0]?.addresses.length, 1, "the run's loopback address is on the row");
    assert.match(cached.reproduce ?? "", /^npx perfdo run perf\/iceberg/);
    // Measured, but a local run cannot judge global latency: never "holds", and it says how to.
    const global = byId.get("global-latency") as ClaimRow;
    assert.ok(global.measured !== null, "the run did measure echo.ping");
    assert.equal(global.verdict, "not measurable here");
    assert.equal(global.runs, 0);
    assert.match(global.note, /npx perfdo run network\/echo --duration 60s --target <your deployment's domain>/);
    assert.equal((byId.get("concurrent-websockets") as ClaimRow).verdict, "not measurable here");
    const rps = byId.get("rps-per-object") as ClaimRow;
    assert.equal(rps.verdict, "not measured");
    assert.match(rps.note, /perfdo sweep calibration\/ping --find-limit/, "says what would measure it");
  });

  it("changes a claim's verdict when its expected range changes, the ledger being data", async () => {
    const set = (min: number | undefined, max: number | undefined) =>
      withClaims(["iceberg-cached"], (l) => {
        (l.claims[0] as Ledger["claims"][number]).expected = { min, max, unit: "ms" };
      });
    const measured = ((await judged(set(50, 100)))[0] as ClaimRow).measured as number;
    // Ranges around the measured p50: it holds inside, is better below the range, worse above it
    // (the direction; one run leaves the verdict indicative).
    assert.equal(((await judged(set(0, measured * 2)))[0] as ClaimRow).direction, "holds");
    assert.equal(((await judged(set(measured * 2, measured * 4)))[0] as ClaimRow).direction, "better");
    assert.equal(((await judged(set(0, measured / 2)))[0] as ClaimRow).direction, "worse");
  });

  it("prints the same table in the console and in Markdown, and refuses a bad ledger in one line", async () => {
    const path = withClaims(["iceberg-cold", "global-latency"]);
    const console = await perfdo(["claims", "--ledger", path, "--results-dir", results]);
    assert.match(console.stdout, /Iceberg point lookup \(cold\)\s*│ 100–150 ms/);
    const md = await perfdo(["claims", "--ledger", path, "--results-dir", results, "--format", "markdown"]);
    assert.match(md.stdout, /^\| Global latency \| 10–50 ms \| [\d.]+ ms \| not measurable here \| /m);
    // Every report carries the same table, judged from the same history (the repository's ledger).
    const full = await perfdo(["claims", "--results-dir", results, "--format", "markdown"]);
    const rowsOf = (text: string) => text.split("\n").filter((l) => /^\| (Cold start|Global|Iceberg|Cross|RPS|Concurrent)/.test(l));
    assert.equal(rowsOf(full.stdout).length, 9);
    const report = await perfdo(["report", "--results-dir", results, "--format", "markdown"]);
    assert.deepEqual(rowsOf(report.stdout), rowsOf(full.stdout));
    const html = await perfdo(["report", "--results-dir", results, "--format", "html"]);
    assert.match(html.stdout, /<section id="claims">.*<td>Iceberg point lookup \(cold\)<\/td><td>100–150 ms<\/td>/s);
    const bad = withClaims(["iceberg-cold"], (l) => {
      (l.claims[0] as Ledger["claims"][number]).expected = { min: 150, max: 100, unit: "ms" };
    });
    const refused = await perfdo(["claims", "--ledger", bad, "--results-dir", results]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /ledger-\w+\.json: claims\.0\.expected: min must not exceed max/);
  });
});
