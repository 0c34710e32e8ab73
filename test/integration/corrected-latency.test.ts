import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startCalibrationServer, type CalibrationServer } from "../../lib/node/calibrate/server";
import { measured, perfdo, readResults, tempDir } from "./helpers";

// Latency corrected for coordinated omission (lib/node/results/omission.ts), measured on a target
// that stalls 1 s every 10 s (the calibration server: every response due in a stall waits for its
// end, as a Durable Object blocked on a long operation would), at 40 iterations/s for 20 s (two
// stalls). Provisioned (60 VUs), every request is sent on time and each one arriving in a stall
// waits for its end: its p95 and p99 are the truth. Starved (5 VUs), the 5 VUs are stuck in the
// stall and k6 drops the ~35 iterations due meanwhile: its service-time p95 hides the stall, and the
// corrected p95 and p99 must give it back.

const STALL = { stallEveryMs: 10_000, stallMs: 1_000 };
const LOAD = ["--rate", "40", "--duration", "20s", "--profile", "sustain", "--quiet"];

const servers: CalibrationServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** A fresh stalling target per run, so both runs meet the stalls at the same point of their schedule. */
async function stallingTarget(): Promise<string> {
  const s = await startCalibrationServer({ serviceMs: [2], ...STALL, log: false });
  servers.push(s);
  return s.address;
}

function thresholds(): string {
  const dir = tempDir("thresholds");
  mkdirSync(join(dir, "calibration"));
  // Corrected limits, judged by the harness: p50 holds in both runs, p95 (a stall's half) fails in both.
  writeFileSync(
    join(dir, "calibration", "ping.json"),
    JSON.stringify({ operations: { "calibration.ping": { p50: { of: "corrected", acceptable: 100 }, p95: { of: "corrected", acceptable: 200 } } }, maxDroppedShare: 1 }),
  );
  return dir;
}

describe("latency corrected for coordinated omission", () => {
  it("a VU-starved run's corrected p95 and p99 are within 25 % of a provisioned run of the same load", async (t) => {
    const dir = thresholds();
    const [starvedAt, provisionedAt] = [await stallingTarget(), await stallingTarget()];
    const starvedDir = tempDir("results");
    const provisionedDir = tempDir("results");
    // Side by side: 40 requests/s each, the machine is idle between stalls.
    const [starvedRun, provisionedRun] = await Promise.all([
      perfdo(["run", "calibration/ping", "--target", `local=${starvedAt}`, ...LOAD, "--vus", "5", "--max-vus", "5", "--thresholds-dir", dir, "--results-dir", starvedDir, "--gate"]),
      perfdo(["run", "calibration/ping", "--target", `local=${provisionedAt}`, ...LOAD, "--vus", "60", "--max-vus", "60", "--thresholds-dir", dir, "--results-dir", provisionedDir, "--gate"]),
    ]);
    const [starved] = readResults(starvedDir);
    const [provisioned] = readResults(provisionedDir);
    assert.ok(starved?.latency && provisioned?.latency, starvedRun.stdout + starvedRun.stderr + provisionedRun.stdout);
    assert.ok(starved.corrected && "model" in starved.corrected, JSON.stringify(starved.corrected));
    assert.ok(provisioned.corrected && "model" in provisioned.corrected, JSON.stringify(provisioned.corrected));

    // The problem: dropped iterations vanish from the service times.
    assert.ok((starved.droppedIterations ?? 0) >= 40, `starved run dropped ${starved.droppedIterations}`);
    assert.equal(provisioned.droppedIterations, 0);
    measured(t, "starved service p95 / provisioned p95", starved.latency.p95 / provisioned.latency.p95);
    assert.ok(starved.latency.p95 < provisioned.latency.p95 / 5, `service p95 ${starved.latency.p95} vs provisioned ${provisioned.latency.p95}`);

    // The correction: one back-filled request per drop (one request per iteration), and the stall given back.
    assert.equal(starved.corrected.omitted, starved.droppedIterations);
    assert.equal(provisioned.corrected.omitted, 0);
    assert.equal(provisioned.corrected.p95, provisioned.latency.p95, "nothing omitted: corrected is the service time");
    // Seen over 10 runs: starved corrected / provisioned p95 0.96–1.02 and p99 0.975–1.01; the 25 %
    // the issue allows is 6x the widest deviation.
    for (const key of ["p95", "p99"] as const) {
      const ratio = starved.corrected[key] / provisioned.latency[key];
      measured(t, `starved corrected ${key} / provisioned ${key}`, ratio);
      assert.ok(Math.abs(ratio - 1) <= 0.25, `${key}: starved corrected ${starved.corrected[key].toFixed(1)} ms, provisioned ${provisioned.latency[key].toFixed(1)} ms`);
    }

    // Thresholds name it and --gate judges it: p95 of the corrected latency fails in both runs (the
    // provisioned run breaches nothing else), p50 holds.
    for (const [run, line] of [[starvedRun, starved], [provisionedRun, provisioned]] as const) {
      assert.equal(run.code, 3, run.stdout + run.stderr);
      const outcome = (threshold: string) => line.thresholds.find((o) => o.metric === "perfdo_corrected{name:calibration.ping}" && o.threshold === threshold);
      assert.equal(outcome("p(95)<200")?.ok, false, JSON.stringify(line.thresholds));
      assert.equal(outcome("p(50)<100")?.ok, true, JSON.stringify(line.thresholds));
      assert.ok(line.thresholds.filter((o) => !o.ok).every((o) => o.metric.startsWith("perfdo_corrected")), JSON.stringify(line.thresholds));
    }
    assert.match(starvedRun.stdout, /corrected for coordinated omission \(docs\/results.md/);
    assert.match(starvedRun.stdout, /calibration\.ping: p50 [\d.]+, p95 [\d.]+ → [\d.]+, p99 [\d.]+ → [\d.]+ ms \(\d+ omitted request\(s\) back-filled, parallel target\)/);
    assert.doesNotMatch(provisionedRun.stdout, /corrected for coordinated omission/, "nothing omitted, nothing to say");
  });

  // Three kinds of target, each breaking another model's assumption, at the same load (40 it/s for
  // 20 s), starved (5 VUs) and provisioned: the starved run's corrected p95 and p99 must come within
  // 25 % of the provisioned run's measured ones on every kind.
  //   release: every response due in a stall is held and all are released together at its end;
  //   serial:  one request at a time (a Durable Object), 20 ms each; a stall holds the queue, which
  //            then drains one by one, delaying requests long after the stall;
  //   slow:    500 ms for every request, any number at once: the VU pool, not the target, is the limit.
  const KINDS = {
    release: { serviceMs: [2], ...STALL },
    serial: { serviceMs: [20], serial: true, ...STALL },
    slow: { serviceMs: [500] },
  } as const;
  /** The kind each target's responses show (omission.ts targetKindOf). */
  const SEEN = { release: "parallel", serial: "serial", slow: "parallel" } as const;
  it("comes within 25 % of a provisioned run on a target that releases a stall at once, one that drains it serially, and one that is slow but unlimited", async (t) => {
    const dir = thresholds();
    // One kind at a time, its starved and provisioned runs side by side: both under the same conditions,
    // and two k6 processes on the machine instead of six. With all six at once, a fresh clone's npm
    // test measured the 120-VU provisioned runs slowed by the contention itself (slow p99 727 ms for a
    // 500 ms target), so the truth the correction is judged against was the load generator's own.
    const runs: Array<{ kind: string; pool: "starved" | "provisioned"; res: Awaited<ReturnType<typeof perfdo>>; line: ReturnType<typeof readResults>[number] | undefined }> = [];
    for (const [kind, options] of Object.entries(KINDS)) {
      runs.push(...(await Promise.all(
        (["starved", "provisioned"] as const).map(async (pool) => {
          const s = await startCalibrationServer({ ...options, log: false });
          servers.push(s);
          const results = tempDir("results");
          const vus = pool === "starved" ? ["--vus", "5", "--max-vus", "5"] : ["--vus", "120", "--max-vus", "120"];
          const res = await perfdo(["run", "calibration/ping", "--target", `local=${s.address}`, ...LOAD, ...vus, "--thresholds-dir", dir, "--results-dir", results]);
          return { kind, pool, res, line: readResults(results)[0] };
        }),
      )));
    }
    const failures: string[] = [];
    for (const kind of Object.keys(KINDS)) {
      const starved = runs.find((r) => r.kind === kind && r.pool === "starved");
      const provisioned = runs.find((r) => r.kind === kind && r.pool === "provisioned");
      assert.ok(starved?.line?.latency && provisioned?.line?.latency, `${kind}: ${starved?.res.stdout}${starved?.res.stderr}${provisioned?.res.stderr}`);
      const corrected = starved.line.corrected;
      assert.ok(corrected && "model" in corrected, `${kind}: ${JSON.stringify(corrected)}`);
      assert.ok((starved.line.droppedIterations ?? 0) > 20, `${kind}: the starved run dropped ${starved.line.droppedIterations}`);
      assert.equal(corrected.model === "omission" && corrected.target, SEEN[kind as keyof typeof KINDS], `${kind}: the kind of target`);
      assert.equal(provisioned.line.droppedIterations, 0, `${kind}: the provisioned run dropped none`);
      for (const key of ["p95", "p99"] as const) {
        const ratio = corrected[key] / provisioned.line.latency[key];
        measured(t, `${kind}: starved corrected ${key} / provisioned ${key}`, ratio);
        console.log(`${kind} ${key}: starved corrected ${corrected[key].toFixed(1)} ms (service ${starved.line.latency[key].toFixed(1)}), provisioned ${provisioned.line.latency[key].toFixed(1)} ms: ${ratio.toFixed(3)}`);
        if (Math.abs(ratio - 1) > 0.25) failures.push(`${kind} ${key}: corrected ${corrected[key].toFixed(1)} ms vs provisioned ${provisioned.line.latency[key].toFixed(1)} ms (${ratio.toFixed(2)}x)`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it("a closed-model run says the correction does not apply, and a corrected limit fails saying why", async () => {
    const dir = thresholds();
    const results = tempDir("results");
    const run = await perfdo(["run", "calibration/ping", "--target", `local=${await stallingTarget()}`, "--profile", "smoke", "--vus", "2", "--iterations", "3", "--quiet", "--thresholds-dir", dir, "--results-dir", results, "--gate"]);
    const [line] = readResults(results);
    assert.deepEqual(line?.corrected, { applies: false, reason: "closed model: VUs wait for each other, no request was due at a time of its own" }, run.stdout + run.stderr);
    assert.equal(run.code, 3, "its corrected limits cannot hold");
    assert.match(run.stdout, /warning: thresholds: calibration\.ping: corrected latency does not apply \(closed model/);
  });
});
