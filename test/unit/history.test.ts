import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { spawn } from "node:child_process";
import { appendResults, historyFile } from "../../lib/node/history/append";
import { groupByRun, readHistory } from "../../lib/node/history/read";
import { BenchmarkResultSchema, type BenchmarkResult } from "../../lib/node/results/schema";

// Written as a schema 1 line, as the oldest history holds them: read, it is migrated to schema 2.
const result = (name: string): BenchmarkResult => BenchmarkResultSchema.parse({
  schemaVersion: 1,
  name,
  scenario: "network/echo",
  timestamp: "2026-11-23T10:00:00.000Z",
  target: "echo.perf.do",
  targetKind: "local",
  iterations: 10,
  latency: { p50: 1, p95: 2, p99: 3, min: 0.5, max: 4, mean: 1.2, stddev: 0.4 },
  errors: 0,
  errorRate: 0,
  rps: 10,
  durationSec: 1,
  profile: "smoke",
  coloServed: "local",
  thresholds: [],
  thresholdsPassed: true,
  k6Version: "v2.2.0",
  runId: "r1",
}) as BenchmarkResult;

const AT = new Date("2026-11-23T10:00:00Z");
const lines = (file: string): string[] => readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);

describe("results history", () => {
  it("names the file by the run's UTC date", () => {
    assert.equal(historyFile("/r", new Date("2026-01-02T23:59:59Z")), "/r/2026-01-02-benchmarks.jsonl");
  });

  it("appends one valid line per result and never rewrites earlier lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const file = await appendResults(dir, [result("a"), result("b")], AT);
    await appendResults(dir, [result("c")], AT);
    const written = lines(file);
    assert.deepEqual(written.map((l) => (JSON.parse(l) as BenchmarkResult).name), ["a", "b", "c"]);
    for (const l of written) BenchmarkResultSchema.parse(JSON.parse(l));
  });

  it("writes nothing at all when any result is invalid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const bad = { ...result("bad"), iterations: -1 };
    await assert.rejects(appendResults(dir, [result("ok"), bad], AT), /result 1 \(bad\): iterations/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("keeps a torn line from an earlier crash on its own line, and the reader reports it as file:line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const file = historyFile(dir, AT);
    appendFileSync(file, '{"schemaVersion":1,"name":"torn"');
    await appendResults(dir, [result("after")], AT);
    const written = lines(file);
    assert.equal(written.length, 2);
    assert.equal((JSON.parse(written[1] as string) as BenchmarkResult).name, "after");
    const history = readHistory(dir);
    assert.deepEqual(history.results.map((r) => r.name), ["after"]);
    assert.deepEqual(history.problems, [`${file}:1: not valid JSON`]);
  });

  it("reads every valid line, reports each bad one with its reason, and goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const file = historyFile(dir, AT);
    appendFileSync(file, `${JSON.stringify(result("one"))}\n${JSON.stringify({ ...result("neg"), rps: -1 })}\n\n${JSON.stringify(result("two"))}\n`);
    const before = readFileSync(file, "utf8");
    const history = readHistory(dir);
    assert.deepEqual(history.results.map((r) => r.name), ["one", "two"]);
    assert.equal(history.problems.length, 1);
    assert.match(history.problems[0] as string, new RegExp(`^${file}:2: rps: `));
    assert.equal(readFileSync(file, "utf8"), before, "reading never rewrites history");
  });

  it("two processes appending at once never interleave or tear lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const script = `
      const { appendResults } = await import(${JSON.stringify(join(import.meta.dirname, "..", "..", "lib", "node", "history", "append.ts"))});
      const [who, dir] = process.argv.slice(-2);
      const base = ${JSON.stringify(result("x"))};
      for (let i = 0; i < 100; i++) {
        const runId = who + "-" + i;
        await appendResults(dir, Array.from({ length: 5 }, (_, k) => ({ ...base, name: "op" + k, runId })), new Date(base.timestamp));
      }`;
    const writer = (who: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, who, dir], { stdio: ["ignore", "ignore", "inherit"] });
        child.on("error", reject);
        child.on("exit", (code) => resolve(code ?? -1));
      });
    assert.deepEqual(await Promise.all([writer("a"), writer("b")]), [0, 0]);
    const history = readHistory(dir);
    assert.deepEqual(history.problems, []);
    assert.equal(history.results.length, 1000);
    const runs = groupByRun(history.results);
    assert.equal(runs.size, 200);
    // Each run's five lines are contiguous: one write per run.
    let previous = "";
    const seen = new Set<string>();
    for (const r of history.results) {
      if (r.runId !== previous) {
        assert.ok(!seen.has(r.runId), `run ${r.runId} split by another writer`);
        seen.add(r.runId);
        previous = r.runId;
      }
    }
  });
});
