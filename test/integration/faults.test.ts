import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readHistory } from "../../lib/node/history/read";
import { command, perfdo, ROOT, startWorker, tempDir } from "./helpers";

// The faults of a real day, with real processes: the local Worker killed mid-run, a results file
// left with a torn last line, a disk that fills during the append, runs and writers appending to one
// results folder at once.

const RUN = ["run", "network/echo", "--profile", "smoke", "--vus", "1", "--iterations", "3", "--quiet"];
const historyFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith("-benchmarks.jsonl")).map((f) => join(dir, f));
const lines = (dir: string) => historyFiles(dir).flatMap((f) => readFileSync(f, "utf8").split("\n").filter((l) => l.length > 0));

/** `perfdo run` as a child we can watch: its pid, its output, its exit code and how long it took. */
function started(args: string[]) {
  const begun = Date.now();
  const child = spawn(process.execPath, [join(ROOT, "bin", "perfdo.mjs"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", () => {});
  const done = new Promise<{ code: number | null; stderr: string; seconds: number }>((resolve) => child.on("close", (code) => resolve({ code, stderr, seconds: (Date.now() - begun) / 1000 })));
  return { pid: child.pid as number, done, stderr: () => stderr };
}
/** A child of `parent` whose command line matches `pattern` (pgrep), once it exists. */
async function childOf(parent: number, pattern: string, within = 60_000): Promise<number> {
  const until = Date.now() + within;
  for (;;) {
    try {
      return Number(execFileSync("pgrep", ["-P", String(parent), "-f", pattern]).toString().trim().split("\n")[0]);
    } catch {
      if (Date.now() > until) throw new Error(`no child of ${parent} matching ${pattern}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
/** A 40 s run whose child matching `pattern` is SIGKILLed a few seconds into its load: the run's end and its history. */
async function killedMidRun(pattern: string, dir: string) {
  const run = started(["run", "network/echo", "--profile", "sustain", "--duration", "40s", "--quiet", "--results-dir", dir]);
  const victim = await childOf(run.pid, pattern);
  await loadRunning(run);
  process.kill(victim, "SIGKILL");
  return { res: await run.done, history: readHistory(dir) };
}
/** Until k6 has been sending load a few seconds (its progress is on stderr). */
const loadRunning = async (run: ReturnType<typeof started>) => {
  for (let i = 0; i < 300 && !/k6 run network\/echo/.test(run.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 4_000));
};

describe("the harness under a real day's faults", () => {
  it("the target dies mid-run (workerd killed): k6 is stopped gracefully, the run ends long before its schedule, its lines are kept and marked", async () => {
    const { res, history } = await killedMidRun("perfdo-workerd", tempDir("faults-target"));
    assert.equal(res.code, 5, res.stderr);
    // 40 s scheduled; 6.5–7.1 s from start to exit over 5 runs (the kill comes ~5 s in; k6's graceful stop is quick when every request is refused).
    assert.ok(res.seconds < 30, `took ${res.seconds} s`);
    assert.match(res.stderr, /the local Worker stopped mid-run; what it measured until then is in .*-benchmarks\.jsonl, marked interrupted \(stoppedBy: target stopped\)/);
    assert.ok(history.results.length > 0);
    for (const r of history.results) assert.deepEqual([r.interrupted, r.stoppedBy], [true, "target stopped"], r.name);
  });

  it("k6 killed with SIGKILL: what it captured up to then is written and marked", async () => {
    const { res, history } = await killedMidRun("k6 run", tempDir("faults-k6"));
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /k6 was killed from outside; what it measured until then is in .*-benchmarks\.jsonl, marked interrupted \(stoppedBy: k6 killed\)/);
    const echo = history.results.find((r) => r.name === "echo.ping");
    assert.ok(echo, history.results.map((r) => r.name).join(", "));
    for (const r of history.results) assert.deepEqual([r.interrupted, r.stoppedBy], [true, "k6 killed"], r.name);
    // ~4 s of load before the kill: 304–313 echo.ping requests were read back over 4 runs (the output
    // hands its buffer to the file each second; before it did, nothing of a killed k6 was readable).
    assert.ok(echo.iterations > 10 && echo.latency !== null, `echo.ping measured ${echo.iterations} requests before the kill`);
  });

  it("two loaders commit the same Iceberg table at once (k6 instances each running setup): one whole table, the second told nothing is staged", async () => {
    // Against workerd with its R2 behind the gateway, where a commit's awaits let another interleave;
    // miniflare's in-process R2 did not show it. Unserialised, both wrote version 1 and each deleted
    // the other's files: 'manifest list is missing' on every lookup.
    const worker = await startWorker();
    try {
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`http://${worker.address}/@iceberg${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const rows = Array.from({ length: 2_000 }, (_, i) => ({ code: String(10_000_000 + i * 7), title: `commodity ${i}`, segment: String(10 + (i % 5)) }));
      for (const s of await Promise.all([1, 2].map(() => call("POST", "/iceberg/tables/unspsc/stage", { rows })))) assert.equal(s.status, 200);
      const commits = await Promise.all([1, 2].map(() => call("POST", "/iceberg/tables/unspsc/commit")));
      assert.deepEqual(commits.map((c) => c.status).sort(), [201, 409], JSON.stringify(commits.map((c) => c.json)));
      assert.equal((await call("GET", "/iceberg/tables/unspsc")).json.records, 2_000);
      for (const code of ["10000000", "10013993"]) assert.equal((await call("GET", `/iceberg/tables/unspsc/lookup?key=${code}`)).json.found, true, code);
    } finally {
      await worker.stop();
    }
  });

  it("a results file ending in a torn line (power lost mid-append): the next run keeps every whole line, says what it skipped, and its own lines land whole", async () => {
    const dir = tempDir("faults-torn");
    const first = await perfdo([...RUN, "--results-dir", dir]);
    assert.equal(first.code, 0, first.stderr);
    const [file] = historyFiles(dir);
    assert.ok(file);
    const whole = readFileSync(file, "utf8");
    const kept = whole.split("\n").filter((l) => l.length > 0);
    const torn = (kept[0] as string).slice(0, 120);
    writeFileSync(file, whole + torn); // the next line's first 120 bytes, then the power went
    const second = await perfdo([...RUN, "--results-dir", dir]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /ended in a torn line \(120 bytes, no newline: a write cut short\); it is kept apart on its own line and skipped by readers, every whole line is kept/);
    const after = readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);
    assert.deepEqual(after.slice(0, kept.length), kept, "every whole line is kept, in place");
    assert.equal(after[kept.length], torn, "the torn line stays alone on its line");
    const history = readHistory(dir);
    assert.deepEqual(history.problems, [`${file}:${kept.length + 1}: not valid JSON`]);
    assert.equal(new Set(history.results.map((r) => r.runId)).size, 2, "both runs read back whole");
  });

  describe("a disk that fills during the append (a small tmpfs)", () => {
    const mount = tempDir("faults-full");
    let mounted = false;
    after(() => {
      if (mounted) execFileSync("umount", [mount]);
    });

    it("one clear line, exit 8, and the history exactly as it was", async (t) => {
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount], { stdio: "pipe" });
        mounted = true;
      } catch (err) {
        // Mounting needs CAP_SYS_ADMIN: CI's container and this machine have it; say so when one does not.
        t.skip(`cannot mount a tmpfs here (${(err as Error).message.split("\n")[0]})`);
        return;
      }
      const dir = join(mount, "results");
      mkdirSync(dir);
      const first = await perfdo([...RUN, "--results-dir", dir]);
      assert.equal(first.code, 0, first.stderr);
      const [file] = historyFiles(dir);
      assert.ok(file);
      // Fill the disk to within a few hundred bytes: the next run's lines (a few KB) cannot fit. The
      // append then fails part-way (a short write into the file's last page) or at once (ENOSPC).
      const free = () => Number(execFileSync("df", ["--output=avail", "-B1", mount]).toString().trim().split("\n")[1]);
      writeFileSync(join(mount, "filler"), Buffer.alloc(Math.max(0, free() - 512)));
      const before = readFileSync(file);
      const second = await perfdo([...RUN, "--results-dir", dir]);
      assert.equal(second.code, 8, second.stdout.slice(-2000) + second.stderr);
      const said = second.stderr.trim().split("\n").filter((l) => /disk is full/.test(l));
      assert.equal(said.length, 1, second.stderr);
      assert.match(said[0] as string, /-benchmarks\.jsonl: the disk is full \(.*\); nothing of this run was appended and the history is as it was/);
      assert.deepEqual(readFileSync(file), before, "the history file is byte for byte as it was");
    });
  });

  it("two runs into one results folder at once: every line of both lands, whole", async () => {
    const dir = tempDir("faults-two");
    const [a, b] = await Promise.all([perfdo([...RUN, "--results-dir", dir]), perfdo([...RUN, "--results-dir", dir])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const history = readHistory(dir);
    assert.deepEqual(history.problems, []);
    const runs = new Map<string, number>();
    for (const r of history.results) runs.set(r.runId, (runs.get(r.runId) ?? 0) + 1);
    assert.equal(runs.size, 2, "both runs' lines are there");
    const [first, second] = [...runs.values()];
    assert.equal(first, second, "each run wrote the same lines");
    assert.equal(lines(dir).length, history.results.length, "no torn or interleaved line");
  });

  it("four writers appending 40 times each at once (real processes, the same module): all 160 appends land whole", async () => {
    // Two runs rarely finish at the same millisecond; these writers make the appends collide.
    const dir = tempDir("faults-many");
    const line = readHistory(join(ROOT, "results")).results[0];
    assert.ok(line, "a line of the repository's history to append");
    const script = `
      import { appendResults } from ${JSON.stringify(join(ROOT, "lib", "node", "history", "append.ts"))};
      const [dir, who, text] = process.argv.slice(1);
      const line = JSON.parse(text);
      for (let i = 0; i < 40; i++) await appendResults(dir, [{ ...line, runId: \`\${who}-\${i}\` }], new Date(line.timestamp));`;
    const writers = ["a", "b", "c", "d"].map((who) => command(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, dir, who, JSON.stringify(line)], { cwd: ROOT }));
    for (const w of await Promise.all(writers)) assert.equal(w.code, 0, w.stderr);
    const history = readHistory(dir);
    assert.deepEqual(history.problems, []);
    assert.equal(new Set(history.results.map((r) => r.runId)).size, 160);
  });
});
