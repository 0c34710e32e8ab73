import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT, perfdo, readResults, tempDir } from "./helpers";

// The generator is not the bottleneck, or the run says so: real k6 against the local Worker. k6 is
// held to one core (GOMAXPROCS=1, so it can use 100 %) and offered more than one core sends; its lines
// then carry generatorSaturated, the table says so, and --gate refuses the run. A light run does not.
// Margins, measured here: the overloaded run's k6 mean CPU was 95–98 % of its 100 % (3 runs alone; the
// flag needs ≥ 80 %); the light run's was 10 % of the 200 % two cores give (the flag needs ≥ 160 %).
// With other tests beside it, k6 got only 61 % of its core: npm test runs this file alone (SOLO).

let dir: string;
before(() => {
  dir = tempDir("saturation");
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("a saturated generator", () => {
  it("is marked on every line, warned about, and refused by --gate", async () => {
    const results = join(dir, "saturated");
    const res = await perfdo(["run", "network/echo", "--rate", "1500", "--duration", "5s", "--results-dir", results, "--quiet", "--gate"], { GOMAXPROCS: "1" });
    assert.equal(res.code, 3, res.stdout.slice(-2000) + res.stderr);
    assert.match(res.stdout, /GENERATOR SATURATED: .*k6 used \d+% CPU on average of the 100% it can use/);
    assert.match(res.stdout, /GENERATOR SATURATED: failing the run \(--gate\)/);
    const lines = readResults(results);
    assert.ok(lines.length > 0 && lines.every((l) => l.generatorSaturated === true), JSON.stringify(lines.map((l) => [l.name, l.generatorSaturated, l.resources?.k6?.cpuMean])));
    // Its timers ran late too (seen: 14 % of 114 ticks over 25 ms late, worst 75 ms; a healthy run: none).
    const ticks = lines[0]?.generatorTicks;
    assert.ok(ticks && ticks.count >= 80 && ticks.late > 0 && ticks.maxLagMs > 25, JSON.stringify(ticks));
  });

  it("is not claimed for a run that left k6 idle", async () => {
    const results = join(dir, "light");
    const res = await perfdo(["run", "network/echo", "--rate", "20", "--duration", "3s", "--results-dir", results, "--quiet", "--gate"]);
    assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
    assert.doesNotMatch(res.stdout, /GENERATOR SATURATED/);
    const lines = readResults(results);
    assert.ok(lines.every((l) => l.generatorSaturated === undefined));
    // Seen in healthy runs at 20, 100 and 400 it/s (one each, alone): no tick over 25 ms late, the worst 1–3 ms.
    assert.equal(lines[0]?.generatorTicks?.late, 0, JSON.stringify(lines[0]?.generatorTicks));
  });
});

/** The k6 of a perfdo run of this checkout (its raw output is under build/runs), or null. */
function runningK6(): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmdline[1] === "run" && /(^|\/)k6$/.test(cmdline[0] ?? "") && cmdline.some((a) => a.includes(join(ROOT, "build", "runs")))) return Number(entry);
    } catch {
      // gone while the list was read
    }
  }
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a generator stopped 1 s in every 5 s", () => {
  // SIGSTOP freezes every thread of k6, its timers included; Go's ticker then hands over one tick
  // and drops the other ~19 that were due. Counting received ticks saw ~1 % late and never flagged
  // it; time lost (lag beyond 25 ms) was 0.17–0.24 of the run over 8 runs (three freezes each; a
  // healthy run: under 1 %; k6 beside other test files: jitter, not counted), over the 10 % mark. Bounded: at most 3 freezes, SIGCONT always sent.
  it("is flagged: the time it was behind is counted, the ticks Go dropped included", async () => {
    const results = join(dir, "stopped");
    const run = perfdo(["run", "network/echo", "--rate", "20", "--duration", "12s", "--results-dir", results, "--quiet"]);
    let pid: number | null = null;
    const deadline = Date.now() + 30_000;
    while (pid === null && Date.now() < deadline) {
      await sleep(100);
      pid = runningK6();
    }
    assert.ok(pid !== null, "k6 did not start");
    let freezes = 0;
    let finished = false;
    void run.then(() => (finished = true));
    await sleep(2_000);
    while (!finished && freezes < 3) {
      try {
        process.kill(pid, "SIGSTOP");
      } catch {
        break; // k6 ended
      }
      freezes++;
      await sleep(1_000);
      process.kill(pid, "SIGCONT");
      await sleep(4_000);
    }
    const res = await run;
    assert.equal(res.code, 0, res.stdout.slice(-2000) + res.stderr);
    assert.ok(freezes >= 2, `only ${freezes} freeze(s) before k6 ended`);
    const lines = readResults(results);
    const ticks = lines[0]?.generatorTicks;
    console.log(`stopped generator: ${freezes} freezes, ticks ${JSON.stringify(ticks)}`);
    assert.ok(lines.length > 0 && lines.every((l) => l.generatorSaturated === true), JSON.stringify(ticks));
    assert.ok(ticks?.behindShare !== undefined && ticks.behindShare >= 0.1, JSON.stringify(ticks));
    assert.match(res.stdout, /GENERATOR SATURATED: it was behind schedule \d+\.\d % of the run/);
  });
});
