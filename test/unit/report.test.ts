import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { compareResults } from "../../lib/node/compare/compare";
import { DEFAULT_RULES } from "../../lib/node/compare/rules";
import { toBenchmarkResults } from "../../lib/node/results/convert";
import { readRawOutput } from "../../lib/node/results/k6-output";
import { readK6Summary } from "../../lib/node/results/k6-summary";
import { consoleMatrix } from "../../lib/node/report/console";
import { githubBenchmarkEntries } from "../../lib/node/report/github-benchmark";
import { htmlReport, trendSeries } from "../../lib/node/report/html";
import { junitReport } from "../../lib/node/report/junit";
import { markdownReport } from "../../lib/node/report/markdown";
import { matrixRows } from "../../lib/node/report/matrix";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "k6");

async function results(fixture: string, scenario: string, runId: string, at: string) {
  const dir = join(FIXTURES, fixture);
  return toBenchmarkResults(await readRawOutput(join(dir, "raw.json.gz")), readK6Summary(join(dir, "summary.json")), {
    scenario, profile: "smoke", targetKind: "local", fallbackHost: "perf.do", startedAt: new Date(at), k6Version: "v2.2.0", runId,
  });
}

describe("reports", async () => {
  const things = await results("things-smoke", "stores/things", "r1", "2026-11-23T10:00:00Z");
  const breach = await results("echo-breach", "network/echo", "r2", "2026-11-23T11:00:00Z");
  const failed = await results("echo-all-failed", "network/echo", "r3", "2026-11-23T12:00:00Z");

  it("the matrix has completed, failed, success %, rps, percentiles and verdicts", () => {
    const rows = matrixRows([...things, ...failed]);
    const dead = rows.find((r) => r.operation === "echo.ping");
    assert.deepEqual({ completed: dead?.completed, failed: dead?.failed, success: dead?.successPct, p95: dead?.p95 }, { completed: 0, failed: 3, success: 0, p95: null });
    const table = consoleMatrix(rows);
    assert.match(table, /scenario \/ operation.*target.*profile.*completed.*failed.*success.*rps.*p50 ms.*p95 ms.*p99 ms.*own thresholds.*vs history/);
    assert.match(table, /stores\/things \/ things\.get/);
  });

  it("Markdown lists every row and the changes against the baseline", () => {
    const comparisons = compareResults(failed, new Map(), { results: breach, samples: new Map() }, DEFAULT_RULES);
    const md = markdownReport(matrixRows(failed, comparisons), comparisons);
    assert.match(md, /^## perf\.do benchmarks\n\n\| scenario \/ operation \|/);
    assert.equal((md.match(/^\| network\/echo \/ echo\./gm) ?? []).length, 4);
    assert.match(md, /### Changes against the baseline/);
    assert.match(md, /\| echo\.ping @ echo\.perf\.do \(local, smoke\) \| mean \| .* \| fail \|/);
  });

  it("JUnit has a testcase per threshold and per regression rule, failures for breaches", () => {
    const comparisons = compareResults(failed, new Map(), { results: breach, samples: new Map() }, DEFAULT_RULES);
    const xml = junitReport([...breach, ...failed], comparisons);
    const suites = xml.match(/<testsuite /g) ?? [];
    assert.equal(suites.length, 1, "one suite per scenario, target and profile");
    assert.match(xml, /name="threshold http_req_duration\{name:echo\.ping,expected_response:true\} p\(50\)&lt;0\.001"><failure/);
    assert.match(xml, /name="regression mean"><failure message="mean: /);
    const declared = Number(/<testsuites name="perfdo" tests="(\d+)" failures="(\d+)"/.exec(xml)?.[1]);
    assert.equal(declared, (xml.match(/<testcase /g) ?? []).length);
  });

  it("github-action-benchmark entries are customSmallerIsBetter-shaped", () => {
    const entries = githubBenchmarkEntries([...things, ...failed]);
    assert.equal(entries.length, things.length * 3, "no entries for operations without latency");
    for (const e of entries) {
      assert.deepEqual(Object.keys(e).sort(), ["extra", "name", "range", "unit", "value"]);
      assert.equal(e.unit, "ms");
      assert.ok(e.value > 0);
    }
    assert.ok(entries.some((e) => e.name === "stores/things things.get p95 (stores.perf.do local)"));
  });

  it("HTML is self-contained and carries one trend series per benchmark", () => {
    const later = things.map((r) => ({ ...r, runId: "r9", timestamp: "2026-11-24T10:00:00.000Z" }));
    const history = [...things, ...later];
    const series = trendSeries(history);
    assert.equal(series.length, things.length);
    assert.ok(series.every((s) => s.points.length === 2 && (s.points[0]?.t ?? 0) < (s.points[1]?.t ?? 0)));
    const html = htmlReport(history, matrixRows(later));
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, "no external resources");
    assert.match(html, /<script type="application\/json" id="perfdo-data">/);
  });

  it("HTML draws tier marks with CSS (no emoji font needed) and labels own thresholds apart from the history verdict", () => {
    const laddered = things.map((r, i) => {
      const met = (["target", "acceptable", "none"] as const)[i % 3] as "target" | "acceptable" | "none";
      return { ...r, tier: met, tiers: [{ limit: "p95", value: 10, target: 5, acceptable: 20, met }] };
    });
    const html = htmlReport(laddered, matrixRows(laddered), [], new Date(), [], ["stores/things (r1): readiness: mvp (mvp ✅; production ❌ rps 10 < 200)"]);
    // No emoji anywhere in the page: U+2705, U+26A0, U+274C (and the variation selector U+FE0F).
    assert.doesNotMatch(html, /[\u2705\u26a0\u274c\ufe0f]/u);
    for (const kind of ["met", "near", "missed"]) assert.match(html, new RegExp(`<span class="mark ${kind}"`), kind);
    assert.match(html, /<th>own thresholds<small>this run vs its limits<\/small><\/th><th>vs history<small>compare verdict<\/small><\/th>/);
  });

  it("HTML data cannot close its script tag", () => {
    const evil = things.map((r) => ({ ...r, name: "</script><script>alert(1)</script>" }));
    const html = htmlReport(evil, matrixRows(evil));
    assert.equal((html.match(/<\/script>/g) ?? []).length, 2, "only the report's own two script tags close");
  });
});
