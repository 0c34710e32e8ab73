import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FEATURES } from "../../deploy/src/features";
import { unserved, type SuiteRequest } from "../support/suite-routes";

// perf.do's public benchmark suite as the specification of what a perf.do target serves: every
// request it makes (fixtures/perf-do-suite-requests.json, written by npm run suite:requests from a
// dot-do/dotdo checkout) is asked of the reference Worker's route list, on the namespace the suite sends
// it to (test/support/suite-routes.ts). fixtures/perf-do-suite-unserved.txt lists the ones not served
// yet; the test fails when that list is wrong either way, so the list can only shrink by serving a
// route, and a route lost shows up.

const root = join(import.meta.dirname, "..", "..");
const suite = JSON.parse(readFileSync(join(root, "fixtures", "perf-do-suite-requests.json"), "utf8")) as { files: number; requests: SuiteRequest[] };
const listed = readFileSync(join(root, "fixtures", "perf-do-suite-unserved.txt"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));

describe("reference Worker: perf.do's own suite", () => {
  it("serves every request the suite makes, but for the ones listed as not served yet", () => {
    assert.ok(suite.requests.length > 800, `the fixture holds ${suite.requests.length} requests; it was written from the whole suite`);
    const now = unserved(FEATURES, suite.requests);
    const gone = listed.filter((l) => !now.includes(l));
    const added = now.filter((l) => !listed.includes(l));
    assert.deepEqual(added, [], "the suite requests these and no route serves them (a route lost, or a new gap to list)");
    assert.deepEqual(gone, [], "these are served now: rewrite the list (node --import tsx test/support/suite-routes.ts)");
    console.log(`# ${suite.requests.length - now.length} of ${suite.requests.length} distinct suite requests served (${suite.files} suite files)`);
  });

  it("fails when a feature the suite relies on is taken away", () => {
    const without = FEATURES.filter((f) => f.name !== "cache");
    assert.ok(unserved(without, suite.requests).some((l) => l.startsWith("cache ")));
  });
});
