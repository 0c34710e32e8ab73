import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { appendResults, historyFile } from "../../lib/node/results/history";
import { BenchmarkResultSchema, type BenchmarkResult } from "../../lib/node/results/schema";

const result = (name: string): BenchmarkResult => ({
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
});

const AT = new Date("2026-11-23T10:00:00Z");
const lines = (file: string): string[] => readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);

describe("results history", () => {
  it("names the file by the run's UTC date", () => {
    assert.equal(historyFile("/r", new Date("2026-01-02T23:59:59Z")), "/r/2026-01-02-benchmarks.jsonl");
  });

  it("appends one valid line per result and never rewrites earlier lines", () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const file = appendResults(dir, [result("a"), result("b")], AT);
    appendResults(dir, [result("c")], AT);
    const written = lines(file);
    assert.deepEqual(written.map((l) => (JSON.parse(l) as BenchmarkResult).name), ["a", "b", "c"]);
    for (const l of written) BenchmarkResultSchema.parse(JSON.parse(l));
  });

  it("writes nothing at all when any result is invalid", () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const bad = { ...result("bad"), iterations: -1 };
    assert.throws(() => appendResults(dir, [result("ok"), bad], AT), /result 1 \(bad\): iterations/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("keeps a torn line from an earlier crash on its own line", () => {
    const dir = mkdtempSync(join(tmpdir(), "perfdo-hist-"));
    const file = historyFile(dir, AT);
    appendFileSync(file, '{"schemaVersion":1,"name":"torn"');
    appendResults(dir, [result("after")], AT);
    const written = lines(file);
    assert.equal(written.length, 2);
    assert.equal((JSON.parse(written[1] as string) as BenchmarkResult).name, "after");
  });
});
