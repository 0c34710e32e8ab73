import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { describe, it } from "node:test";
import { PerfdoError } from "../../lib/node/errors";
import { compileThresholds } from "../../lib/node/thresholds/compile";
import { loadThresholds } from "../../lib/node/thresholds/load";
import { DEFAULT_THRESHOLDS, ThresholdsFileSchema } from "../../lib/node/thresholds/schema";
import { listScenarios } from "../../lib/node/build/catalog";

const ROOT = join(import.meta.dirname, "..", "..");

function writeTemp(content: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "perfdo-thr-"));
  const file = join(dir, "t.json");
  writeFileSync(file, content);
  return { dir, file };
}

function loadError(content: string): PerfdoError {
  const { dir, file } = writeTemp(content);
  try {
    loadThresholds(file, dir);
  } catch (err) {
    assert.ok(err instanceof PerfdoError);
    return err;
  }
  assert.fail("expected the thresholds file to be rejected");
}

describe("thresholds", () => {
  it("every thresholds file in the repo is valid and names a real scenario", () => {
    // Loops over the files, not the scenarios, so an orphan file (its scenario renamed or gone) fails.
    const scenarios = new Set(listScenarios(ROOT).map((s) => s.name));
    const dir = join(ROOT, "thresholds");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json") && f !== "regression.json");
    assert.ok(files.length >= 20, `${files.length} thresholds files`);
    for (const f of files) {
      const name = f.split(sep).join("/").replace(/\.json$/, "");
      assert.ok(scenarios.has(name), `thresholds/${f} names no scenario (scenarios/${name}.ts)`);
      const file = loadThresholds(join(dir, f), ROOT);
      assert.ok(file, `thresholds/${f} loads`);
      // Every file gates something beyond the always-present dropped-iterations limit.
      assert.ok(Object.keys(compileThresholds(file)).some((k) => k !== "dropped_iterations"), `thresholds/${f} names no limit`);
    }
  });

  it("compiles latency limits on successful responses and error rates on all requests", () => {
    const compiled = compileThresholds(
      ThresholdsFileSchema.parse({ operations: { "*": { errorRate: 0.01 }, "echo.ping": { p50: 10, p99: 50 } }, checks: 0.99 }),
    );
    assert.deepEqual(compiled, {
      http_req_failed: ["rate<=0.01"],
      "http_req_duration{name:echo.ping,expected_response:true}": ["p(50)<10", "p(99)<50"],
      checks: ["rate>=0.99"],
      dropped_iterations: ["share<=0.01"],
    });
    const tolerant = compileThresholds(ThresholdsFileSchema.parse({ maxDroppedIterations: 5 }));
    assert.deepEqual(tolerant.dropped_iterations, ["count<=5"], "maxDroppedIterations is the dropped-iterations gate");
  });

  it("compiles a mean ceiling onto k6's avg (the contract states streaming ceilings as means)", () => {
    const compiled = compileThresholds(ThresholdsFileSchema.parse({ operations: { "windows.tumbling-add": { mean: { target: 1, acceptable: 5 } } } }));
    assert.deepEqual(compiled["http_req_duration{name:windows.tumbling-add,expected_response:true}"], ["avg<5"]);
  });

  it("a scenario without a thresholds file gets the default gate: errors, checks, drops", () => {
    assert.deepEqual(compileThresholds(DEFAULT_THRESHOLDS), { http_req_failed: ["rate<=0.01"], checks: ["rate>=0.99"], dropped_iterations: ["share<=0.01"] });
  });

  it("compiles abortOnFail into k6's object form", () => {
    const compiled = compileThresholds(ThresholdsFileSchema.parse({ operations: { "*": { p95: 100 } }, abortOnFail: true }));
    assert.deepEqual(compiled["http_req_duration{expected_response:true}"], [{ threshold: "p(95)<100", abortOnFail: true, delayAbortEval: "10s" }]);
  });

  it("names the file and the field of the first problem, on one line", () => {
    const wrongType = loadError(JSON.stringify({ operations: { "echo.ping": { p95: "fast" } } }));
    assert.match(wrongType.message, /^t\.json: operations\.echo\.ping\.p95: .*number/);
    assert.equal(wrongType.exitCode, 2);
    assert.doesNotMatch(wrongType.message, /\n/);

    assert.match(loadError(JSON.stringify({ operations: { x: { p95: 10, p96: 1 } } })).message, /^t\.json: operations\.x: .*p96/);
    assert.match(loadError(JSON.stringify({ operations: { x: {} } })).message, /^t\.json: operations\.x: names no limit/);
    assert.match(loadError(JSON.stringify({ checks: 2 })).message, /^t\.json: checks: /);
    assert.match(loadError("{ not json").message, /^t\.json: not valid JSON/);
  });

  it("loads nothing for a scenario without a thresholds file", () => {
    assert.equal(loadThresholds(join(tmpdir(), "no-such-thresholds.json")), null);
  });
});
