import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { command, perfdo, ROOT, tempDir } from "./helpers";

// The GitHub Actions load job (.github/workflows/load.yml): linted by the pinned actionlint, and its
// pull_request job's scripts run here in the workflow's own order, as Actions would run them.

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
const workflow = parse(readFileSync(join(ROOT, ".github", "workflows", "load.yml"), "utf8")) as {
  jobs: Record<string, { steps: Step[]; "timeout-minutes"?: number; permissions?: Record<string, string> }>;
  permissions?: Record<string, string>;
  concurrency?: unknown;
};

describe("GitHub Actions load workflow", () => {
  it("fails lint:workflows on a deliberately broken copy, naming the line", async () => {
    const dir = tempDir("workflow");
    mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
    const good = readFileSync(join(ROOT, ".github", "workflows", "load.yml"), "utf8");
    const broken = join(dir, ".github", "workflows", "load.yml");
    // A misspelled job key and an input that does not exist: both real mistakes, both actionlint's to catch.
    writeFileSync(broken, good.replace("timeout-minutes: 30", "timeout-minute: 30").replace("inputs.scenarios }}", "inputs.scenario }}"));
    const res = await command(join(ROOT, "scripts", "lint-workflows.sh"), [broken]);
    assert.notEqual(res.code, 0, "a broken workflow must fail the lint");
    assert.match(res.stdout + res.stderr, /load\.yml:\d+:\d+: unexpected key "timeout-minute"/);
    assert.match(res.stdout + res.stderr, /property "scenario" is not defined/);
  });

  it("keeps least privilege, a concurrency group and a timeout on every job", () => {
    assert.deepEqual(workflow.permissions, { contents: "read" });
    assert.ok(workflow.concurrency);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      assert.ok(typeof job["timeout-minutes"] === "number", `${name}: timeout-minutes`);
      assert.ok(job.permissions, `${name}: permissions`);
    }
    assert.equal(workflow.jobs.full?.permissions?.contents, "write");
    assert.equal(workflow.jobs.pr?.permissions?.contents, "read");
  });

  it("keys its caches so they are reused: a PR restores the benchmark trend the full job saves, .tools by a hash of tools/", () => {
    const steps = (job: string) => workflow.jobs[job]?.steps ?? [];
    const benchmark = (job: string, action: string) => steps(job).filter((s) => s.uses?.startsWith(action) && s.with?.path === "build/benchmark-data");
    // A PR's own cache is visible to no other PR (GitHub's cache scoping), so a PR must not be the one saving.
    assert.equal(benchmark("pr", "actions/cache@").length + benchmark("pr", "actions/cache/save@").length, 0, "a PR never saves the trend");
    assert.equal(benchmark("pr", "actions/cache/restore@")[0]?.with?.["restore-keys"], "benchmark-data-");
    const saved = benchmark("full", "actions/cache/save@")[0]?.with?.key ?? "";
    assert.ok(saved.startsWith("benchmark-data-"), `the full job (default branch, schedule) saves under the prefix PRs restore: ${saved}`);
    for (const job of ["pr", "full"]) {
      const tools = steps(job).find((s) => s.with?.path === ".tools");
      assert.match(tools?.with?.key ?? "", /hashFiles\('tools\/\*\*'\)/, `${job}: .tools keyed by every file under tools/ (provision checks the same, lib/node/tools/stamp.ts)`);
    }
  });

  it("runs the pull_request job's scripts in the workflow's order: E2E gate, then the perf subset compared with history", async () => {
    const scripts = (workflow.jobs.pr?.steps ?? []).filter((s) => s.run?.startsWith("scripts/ci/"));
    assert.deepEqual(scripts.map((s) => s.run), ["scripts/ci/e2e-gate.sh", "scripts/ci/perf-subset.sh"]);
    const out = tempDir("ci-out");
    const summary = join(out, "step-summary.md");
    const historyBefore = readdirSync(join(ROOT, "results")).map((f) => [f, readFileSync(join(ROOT, "results", f), "utf8").length]);
    for (const step of scripts) {
      const res = await command(join(ROOT, step.run as string), [], {
        // One E2E suite is enough to see the gate step run: e2e.test.ts runs every suite.
        env: { ...step.env, PERFDO_CI_OUT: out, GITHUB_STEP_SUMMARY: summary, PERFDO_CI_DURATION: "5s", PERFDO_CI_E2E: "e2e/network" },
        timeoutMs: 420_000,
      });
      assert.equal(res.code, 0, `${step.run}: ${res.stdout.slice(-2000)}${res.stderr.slice(-2000)}`);
    }
    // The subset ran on the base branch's history (here: this checkout's) in its own folder.
    const lines = readdirSync(join(out, "results")).filter((f) => f.endsWith(".jsonl")).flatMap((f) => readFileSync(join(out, "results", f), "utf8").trim().split("\n"));
    const names = new Set(lines.map((l) => (JSON.parse(l) as { name: string }).name));
    for (const op of ["echo.ping", "things.create"]) assert.ok(names.has(op), `${op} in the subset's results`);
    assert.match(readFileSync(join(out, "compare.md"), "utf8"), /echo\.ping/);
    assert.match(readFileSync(join(out, "compare.xml"), "utf8"), /<testsuites/);
    const bench = JSON.parse(readFileSync(join(out, "benchmark.json"), "utf8")) as Array<{ name: string; unit: string; value: number }>;
    assert.ok(bench.length > 0 && bench.every((b) => typeof b.name === "string" && typeof b.unit === "string" && Number.isFinite(b.value)));
    assert.match(readFileSync(summary, "utf8"), /## perf\.do load: PR subset/);
    // A PR never writes the repository's history.
    const historyAfter = readdirSync(join(ROOT, "results")).map((f) => [f, readFileSync(join(ROOT, "results", f), "utf8").length]);
    assert.deepEqual(historyAfter, historyBefore);
  });

  it("refuses a dispatched profile whose full suite cannot finish inside the job, before anything runs; the suite step stops inside the job so its results are still committed", async () => {
    const out = tempDir("ci-full");
    const res = await command(join(ROOT, "scripts", "ci", "full-suite.sh"), [], { env: { PERFDO_CI_OUT: out, PERFDO_CI_PROFILE: "soak" }, timeoutMs: 60_000 });
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(res.stderr, /full suite: \d+ scenarios under "soak" take about \d+ min, more than the job's 70 min budget/);
    assert.ok(!existsSync(join(out, "report.md")), "nothing ran");
    const steps = workflow.jobs.full?.steps as Array<Step & { name?: string; if?: string; "timeout-minutes"?: number }>;
    const suite = steps.find((s) => s.run === "scripts/ci/full-suite.sh");
    const commit = steps.find((s) => s.run === "scripts/ci/commit-results.sh");
    assert.ok((suite?.["timeout-minutes"] ?? Infinity) < (workflow.jobs.full?.["timeout-minutes"] ?? 0) - 5, "the suite step times out well before the job");
    assert.match(commit?.if ?? "", /failure\(\)/, "a suite that failed or timed out still commits what it measured");
  });

  it("a dispatched run against a named deployment: the suite gets its allow-list and token, and leaves out what only the local Worker can run", async () => {
    const steps = workflow.jobs.full?.steps as Step[];
    const suite = steps.find((s) => s.run === "scripts/ci/full-suite.sh");
    assert.equal(suite?.env?.PERFDO_ALLOWED_DOMAINS, "${{ vars.PERFDO_ALLOWED_DOMAINS }}");
    assert.equal(suite?.env?.PERFDO_TOKEN, "${{ secrets.PERFDO_TOKEN }}");
    // The list full-suite.sh runs, as it asks for it: every scenario on the local Worker; no
    // perf/coldstart elsewhere; a host not in the variable refused in one line, exit 2.
    const list = (target: string, env: NodeJS.ProcessEnv = {}) => perfdo(["scenarios", "--target", target], env);
    const local = await list("local");
    assert.match(local.stdout, /^perf\/coldstart$/m);
    const deployed = await list("bench.example.dev", { PERFDO_ALLOWED_DOMAINS: "bench.example.dev" });
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.doesNotMatch(deployed.stdout, /coldstart/);
    assert.equal(deployed.stdout.split("\n").filter(Boolean).length, local.stdout.split("\n").filter(Boolean).length - 1);
    const refused = await list("bench.example.dev", { PERFDO_ALLOWED_DOMAINS: "" });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not allow-listed/);
    // One trend series for both jobs: a PR compares its operations with the newest full run's.
    const names = Object.values(workflow.jobs).flatMap((job) => job.steps.filter((st) => st.uses?.startsWith("benchmark-action/")).map((st) => st.with?.name));
    assert.deepEqual(names, ["perf.do load", "perf.do load"]);
  });

  it("commit-results: two runs finishing together both land (union merge of results/*.jsonl, rebase and retry)", async () => {
    const dir = tempDir("commit-results");
    const git = (cwd: string, ...args: string[]) => command("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", ...args], { cwd });
    const remote = join(dir, "remote.git");
    assert.equal((await git(dir, "init", "--quiet", "--bare", "-b", "main", remote)).code, 0);
    const seed = join(dir, "seed");
    mkdirSync(join(seed, "scripts", "ci"), { recursive: true });
    mkdirSync(join(seed, "results"));
    copyFileSync(join(ROOT, ".gitattributes"), join(seed, ".gitattributes"));
    copyFileSync(join(ROOT, "scripts", "ci", "commit-results.sh"), join(seed, "scripts", "ci", "commit-results.sh"));
    const day = join("results", "2026-11-23-benchmarks.jsonl");
    writeFileSync(join(seed, day), '{"run":"earlier"}\n');
    await git(seed, "init", "--quiet", "-b", "main");
    await git(seed, "add", ".");
    await git(seed, "commit", "--quiet", "-m", "seed");
    await git(seed, "remote", "add", "origin", remote);
    assert.equal((await git(seed, "push", "--quiet", "origin", "main")).code, 0);
    const a = join(dir, "a");
    const b = join(dir, "b");
    await git(dir, "clone", "--quiet", remote, a);
    await git(dir, "clone", "--quiet", remote, b);
    // Both runs append to the same day's file from the same parent commit.
    writeFileSync(join(a, day), '{"run":"earlier"}\n{"run":"a"}\n');
    writeFileSync(join(b, day), '{"run":"earlier"}\n{"run":"b"}\n');
    // As on a runner: no identity in the environment or in any git config (an empty HOME, no system
    // or global file), so the script's own identity must reach the rebase as well as the commit.
    const home = join(dir, "home");
    mkdirSync(home);
    const env = { PERFDO_CI_BRANCH: "main", HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: join(home, "none"), EMAIL: "" };
    for (const v of ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"]) assert.equal(process.env[v], undefined, `${v} is not set for this test`);
    const ra = await command(join(a, "scripts", "ci", "commit-results.sh"), [], { cwd: a, env });
    assert.equal(ra.code, 0, ra.stdout + ra.stderr);
    const rb = await command(join(b, "scripts", "ci", "commit-results.sh"), [], { cwd: b, env });
    assert.equal(rb.code, 0, rb.stdout + rb.stderr);
    assert.match(rb.stdout, /push rejected \(attempt 1\)/, "the second run really raced the first");
    const check = join(dir, "check");
    await git(dir, "clone", "--quiet", remote, check);
    const landed = readFileSync(join(check, day), "utf8").trim().split("\n").sort();
    assert.deepEqual(landed, ['{"run":"a"}', '{"run":"b"}', '{"run":"earlier"}']);
    assert.ok(existsSync(join(check, ".gitattributes")));
  });
});
