import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { command, readResults, ROOT, tempDir } from "./helpers";

// A k6 script that was not written for this project (examples/own-api/test.js: two scenarios with
// different executors, k6 thresholds, tags, a group, setup and handleSummary), run by `perfdo run`
// against a plain text API with a path prefix (examples/own-api/server.mjs), not the reference Worker.

const PERFDO = join(ROOT, "bin", "perfdo.mjs");
const perfdoIn = (cwd: string, args: string[]) => command(process.execPath, [PERFDO, ...args], { cwd, timeoutMs: 90_000 });

describe("perfdo run ./own-script.js against your own API", () => {
  let server: ChildProcess;
  let url = "";
  let dir = "";
  before(async () => {
    server = spawn(process.execPath, [join(ROOT, "examples", "own-api", "server.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
    url = await new Promise<string>((resolve, reject) => {
      server.stdout?.on("data", (d: Buffer) => {
        const m = /listening on (\S+)/.exec(d.toString());
        if (m) resolve(m[1] as string);
      });
      server.on("exit", () => reject(new Error("the example server exited")));
    });
    dir = tempDir("own-script");
    copyFileSync(join(ROOT, "examples", "own-api", "test.js"), join(dir, "test.js"));
  });
  after(() => {
    server?.kill("SIGTERM");
  });

  it("runs the script as k6 would, with a result line per request name and k6 scenario, judged by its own thresholds", async () => {
    const results = join(dir, "results");
    const res = await perfdoIn(dir, ["run", "./test.js", "--target", url, "--allow", "127.0.0.1", "--results-dir", results, "--", "-e", "DURATION=3s", "-e", `SUMMARY_FILE=${join(dir, "summary.json")}`, "--out", `csv=${join(dir, "own.csv")}`]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const lines = readResults(results);
    const key = (r: (typeof lines)[number]) => `${r.name} [${r.profile}]`;
    assert.deepEqual(lines.map(key).sort(), ["GET /api/v1/hello [browse]", "GET /api/v1/hello [setup]", "GET /items/:id [browse]", "create item [buy]"]);
    for (const r of lines) {
      assert.equal(r.scenario, "test.js");
      assert.equal(r.targetKind, "local", "the load stayed on loopback");
      assert.equal(r.target, url.replace(/^http:\/\//, ""));
      assert.equal(r.coloServed, undefined, "a plain API has no colo");
      assert.ok(r.thresholdsPassed, key(r));
      assert.ok(r.thresholds.some((t) => t.metric === "http_req_failed"), `${key(r)}: the script's scenario-wide threshold`);
      // A threshold filtered to one k6 scenario judges that scenario's lines only.
      assert.equal(r.thresholds.some((t) => t.metric === "http_req_duration{scenario:browse}"), r.profile === "browse", key(r));
    }
    const buy = lines.find((r) => r.profile === "buy");
    assert.deepEqual(buy?.thresholds.find((t) => t.scope === "operation"), { metric: "http_req_duration{name:create item}", threshold: "p(99)<1000", ok: true, scope: "operation" });
    // Coordinated omission is checked where the script runs an arrival rate, and only there.
    assert.equal(buy?.corrected && "model" in buy.corrected ? buy.corrected.model : "none", "omission");
    assert.ok(lines.filter((r) => r.profile === "browse").every((r) => r.corrected && "applies" in r.corrected && !r.corrected.applies));
    // constant-arrival-rate at 10/s for 3 s starts 30 or 31 creates (31 in each of the runs seen here);
    // a machine too busy to start some would drop them, so the floor is well below.
    assert.ok((buy?.iterations ?? 0) >= 20 && (buy?.iterations ?? 0) <= 31, `creates: ${buy?.iterations}`);
    // Nothing of perf.do's in the output: no colo, Cloudflare cost, Durable Objects.
    assert.doesNotMatch(res.stdout, /perf\.do|colo|cost|durable|busiest/i);
    assert.match(res.stdout, /operation \[scenario\]/);
    // The user's own --out ran beside the harness's capture, and handleSummary wrote its file.
    assert.ok(statSync(join(dir, "own.csv")).size > 1000);
    assert.ok((JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { iterations: number }).iterations > 25);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes("perfdo-bundle")), [], "the bundle beside the script is removed");
    // The report of this history: the lines, and no perf.do claims table (it judges perf.do, not your API).
    const report = await perfdoIn(dir, ["report", "--results-dir", results]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /test\.js \/ create item/);
    assert.doesNotMatch(report.stdout, /claim|cold start|perf\.do/i);
  });

  it("runs the catalog's example scenario (the generic client) against the same API: no body-is-JSON check on a plain API", async () => {
    const results = join(dir, "catalog-results");
    const res = await perfdoIn(dir, ["run", "examples/own-api", "--target", url, "--results-dir", results, "-d", "3s", "-q"]);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const lines = readResults(results);
    assert.deepEqual(lines.map((r) => r.name).sort(), ["shop.create", "shop.hello", "shop.item"]);
    for (const r of lines) {
      assert.equal(r.target, url.replace(/^http:\/\//, ""), "the namespace travels nowhere on a plain API");
      assert.ok(r.thresholdsPassed && r.errors === 0, `${r.name}: ${JSON.stringify(r.thresholds)}`);
      assert.equal(r.coloServed, undefined);
    }
    const checks = JSON.parse(readFileSync(join(ROOT, "build", "runs", lines[0]?.runId as string, "checks.json"), "utf8")) as { checks: Array<{ name: string; fails: number }> };
    assert.deepEqual(checks.checks.map((c) => c.name).sort(), ["shop.create: status is 2xx or 201", "shop.hello: says hello", "shop.hello: status is 2xx", "shop.item: status is 2xx"]);
    assert.ok(checks.checks.every((c) => c.fails === 0));
  });

  it("a threshold the script breaches exits 3 with --gate", async () => {
    const res = await perfdoIn(dir, ["run", "./test.js", "--target", url, "--no-results", "--gate", "-q", "--", "-e", "DURATION=2s", "-e", "BROWSE_P95_MS=0.01"]);
    assert.equal(res.code, 3, res.stderr + res.stdout);
    assert.match(res.stdout, /GET \/items\/:id \[browse\].*FAIL http_req_duration p\(95\)<0\.01/);
    assert.doesNotMatch(res.stdout, /create item \[buy\].*FAIL/, "buy's lines are not judged by browse's threshold");
  });

  it("keeps a loopback run on loopback: k6 refuses any other address the script names", async () => {
    writeFileSync(
      join(dir, "escape.js"),
      `import http from "k6/http";\nexport const options = { iterations: 1 };\nexport default function () {\n  http.get("http://10.255.255.1:9/", { tags: { name: "escape" }, timeout: "2s" });\n  http.get(__ENV.BASE_URL + "/hello", { tags: { name: "home" } });\n}\n`,
    );
    const res = await perfdoIn(dir, ["run", "./escape.js", "--target", url, "--no-results"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /IP \(10\.255\.255\.1\) is in a blacklisted range/);
    assert.match(res.stdout, /escape\s.*│\s+1 \(100\.0%\)/);
  });

  it("refuses in one line, before any load: a host not allowed, a k6 flag the harness owns, --instances, a script that does not build", async () => {
    const refused = await perfdoIn(dir, ["run", "./test.js", "--target", "http://10.1.2.3:8080/api"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^perfdo: target host "10\.1\.2\.3" is not allow-listed .*--allow 10\.1\.2\.3/m);
    const reserved = await perfdoIn(dir, ["run", "./test.js", "--target", url, "--", "--summary-export", "x.json"]);
    assert.equal(reserved.code, 2);
    assert.match(reserved.stderr, /k6 flag --summary-export cannot be passed through/);
    const split = await perfdoIn(dir, ["run", "./test.js", "--target", url, "--instances", "2"]);
    assert.equal(split.code, 2);
    assert.match(split.stderr, /--instances applies to catalog scenarios/);
    writeFileSync(join(dir, "broken.ts"), "import { nothing } from './missing';\nexport default function () { nothing(); }\n");
    const broken = await perfdoIn(dir, ["run", "./broken.ts", "--target", url]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.ts: does not build: .*missing/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes("perfdo-bundle")), [], "no bundle is left behind by a refused run");
    assert.ok(!existsSync(join(dir, "results")) || readResults(join(dir, "results")).every((r) => r.scenario === "test.js"));
  });
});
