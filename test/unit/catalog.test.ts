import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { findScenarios, isLocalOnly, listScenarios, resolveScenarioName } from "../../lib/node/build/catalog";
import { PerfdoError } from "../../lib/node/errors";

const ROOT = join(import.meta.dirname, "..", "..");

describe("scenario catalog", () => {
  it("lists scenarios by their path under scenarios/", () => {
    const names = listScenarios(ROOT).map((s) => s.name);
    assert.ok(names.includes("network/echo"));
    assert.ok(names.includes("stores/things"));
  });

  it("accepts full names, unique basenames and paths", () => {
    const known = ["network/echo", "stores/things"];
    assert.equal(resolveScenarioName("network/echo", known), "network/echo");
    assert.equal(resolveScenarioName("things", known), "stores/things");
    assert.equal(resolveScenarioName("scenarios/network/echo.ts", known), "network/echo");
    assert.equal(resolveScenarioName("build/stores/things.js", known), "stores/things");
  });

  it("rejects unknown and ambiguous names with a one-line usage error", () => {
    assert.throws(
      () => resolveScenarioName("nope", ["a/x"]),
      (err: unknown) => err instanceof PerfdoError && err.exitCode === 2 && err.message === 'unknown scenario "nope" (known: a/x)',
    );
    assert.throws(() => resolveScenarioName("x", ["a/x", "b/x"]), /ambiguous: a\/x, b\/x/);
  });

  it("maps names to source, script and thresholds paths", () => {
    const [entry] = findScenarios(ROOT, ["echo"]);
    assert.equal(entry?.script, join(ROOT, "build", "network", "echo.js"));
    assert.equal(entry?.thresholds, join(ROOT, "thresholds", "network", "echo.json"));
  });

  it("knows which scenarios need the local Worker, so a suite against a deployment leaves them out", () => {
    const localOnly = listScenarios(ROOT).filter(isLocalOnly).map((s) => s.name);
    assert.deepEqual(localOnly, ["perf/coldstart"]);
  });
});
