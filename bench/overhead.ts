// npm run bench:overhead — what the harness costs the load generator. A trivial loopback server
// (lib/node/calibrate/server.ts, answering at once) is driven past saturation by
//   bare:   a hand-written k6 script: one GET, the same two checks (2xx, body is JSON), no output;
//   perfdo: `perfdo run calibration/ping` as users run it: the built scenario, its thresholds,
//           raw capture on (the perfdo output extension, or k6's JSON output with a stock k6).
// Both are offered the same constant arrival rate, far above what the box can do, with the same
// VUs, in interleaved rounds (bare, perfdo, bare, perfdo, …) so drift hits both alike. Each round's
// throughput is k6's own request count over its test-run duration; memory is k6's peak RSS. On
// a 2-core machine identical rounds differ by ±20 % and more (k6's CPU time per request moves as much,
// so it is the cores' speed, not stolen time): read the median and its interval, never one round.
// The ratios are medians over rounds, each with a distribution-free 95 % interval (order statistics
// of the rounds' ratios). Target: R ≥ 0.90, Q ≤ 1.10.
// Where `taskset` exists (Linux), the server is pinned to one core and k6 (bare, or perfdo with
// its k6) to the other: k6 then runs CPU-bound on a core of its own, so its throughput measures
// what a request costs the generator, and the two no longer steal each other's time.
// Then, because memory per VU is what limits a laptop at high VU counts and is not noisy, both are
// started with BENCH_IDLE_VUS (default 1,000) VUs at 1 iteration/s: the RSS difference over the VU
// count is what the harness's script costs each VU (its init code: every function, builtin and
// metric it creates at load).
// Last line: `overhead: <R>x bare k6 rps, k6 RSS <Q>x bare`.
// BENCH_ROUNDS (default 9), BENCH_SECONDS (per run, default 8), BENCH_VUS (default 50).

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { startCalibrationServer } from "../lib/node/calibrate/server";
import { ensureK6 } from "../lib/node/k6/provision";
import { medianInterval } from "../lib/node/results/stats";
import { childrenNamed, readProc, sampleResources } from "../lib/node/run/resources";

const ROOT = join(import.meta.dirname, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const VUS = Number(process.env.BENCH_VUS ?? 50);
const IDLE_VUS = Number(process.env.BENCH_IDLE_VUS ?? 1000);
const RATE = 50_000; // far past saturation on any laptop: both sides run flat out
const TARGET_R = 0.9;
const TARGET_Q = 1.1;

const BARE = (address: string, rate = RATE, seconds = SECONDS, vus = VUS): string => `import http from "k6/http";
import { check } from "k6";
export const options = {
  scenarios: { bare: { executor: "constant-arrival-rate", rate: ${rate}, timeUnit: "1s", duration: "${seconds}s", preAllocatedVUs: ${vus}, maxVUs: ${vus} } },
};
export default function () {
  const res = http.get("http://${address}/ping");
  check(res, {
    "status is 2xx": (r) => r.status >= 200 && r.status < 300,
    "body is JSON": (r) => { try { JSON.parse(r.body); return true; } catch { return false; } },
  });
}
`;

interface Sample {
  rps: number;
  rssMB: number;
}

/** Runs a command to completion while sampling the RSS of its k6 process(es); returns the output and peak RSS. */
const TASKSET = spawnSync("taskset", ["--version"]).status === 0 && cpus().length >= 2;

function measured(cmd: string, args: string[], k6Of: (pid: number) => number[]): Promise<{ out: string; rssMB: number; code: number }> {
  return new Promise((resolve, reject) => {
    const [bin, argv] = TASKSET ? ["taskset", ["-c", "0", cmd, ...args]] : [cmd, args];
    const child = spawn(bin, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    // Found once: scanning /proc for a child on every sample would load the harness's side only.
    let k6: number[] = [];
    const sampler = sampleResources(() => {
      // Rescanned only when none is alive: `perfdo run` first starts a short-lived `k6 inspect`.
      if (child.pid && k6.every((pid) => readProc(pid) === null)) k6 = k6Of(child.pid);
      return { k6 };
    }, 100);
    child.on("error", reject);
    child.on("close", (code) => resolve({ out, rssMB: sampler.stop().k6?.rssPeakMB ?? 0, code: code ?? -1 }));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const k6 = ensureK6(ROOT);
  // This process serves: on core 1, every thread of it (k6 gets core 0).
  if (TASKSET) spawnSync("taskset", ["-a", "-c", "-p", "1", String(process.pid)]);
  const server = await startCalibrationServer({ log: false });
  const dir = mkdtempSync(join(tmpdir(), "perfdo-overhead-"));
  const bareScript = join(dir, "bare.js");
  writeFileSync(bareScript, BARE(server.address));
  const results = join(dir, "results");
  console.log(`bench:overhead: k6 ${k6.version} (${k6.perfdoOutput ? "perfdo output" : "JSON output: stock k6"}), ${ROUNDS} rounds × ${SECONDS} s, ${VUS} VUs, offered ${RATE}/s, server ${server.address}${TASKSET ? ", k6 on core 0, server on core 1" : ""}`);

  const bare = async (): Promise<Sample> => {
    const summary = join(dir, "bare-summary.json");
    const res = await measured(k6.bin, ["run", "--quiet", `--summary-export=${summary}`, bareScript], (pid) => [pid]);
    if (res.code !== 0) throw new Error(`bare k6 failed (${res.code}): ${res.out.slice(-500)}`);
    const reqs = (JSON.parse(readFileSync(summary, "utf8")) as { metrics: { http_reqs: { rate: number } } }).metrics.http_reqs;
    return { rps: reqs.rate, rssMB: res.rssMB };
  };
  const harness = async (): Promise<Sample> => {
    const args = [
      join(ROOT, "bin", "perfdo.mjs"), "run", "calibration/ping", "--target", `local=${server.address}`, "--profile", "sustain",
      "--rate", String(RATE), "--duration", `${SECONDS}s`, "--vus", String(VUS), "--max-vus", String(VUS), "--quiet", "--results-dir", results,
    ];
    const res = await measured(process.execPath, args, (pid) => childrenNamed(pid, "k6"));
    // Dropped iterations are expected here (offered far more than the box can do): exit 0 without --gate.
    if (res.code !== 0) throw new Error(`perfdo run failed (${res.code}): ${res.out.slice(-500)}`);
    const lines = readFileSync(join(results, readdirNewest(results)), "utf8").trim().split("\n");
    const line = JSON.parse(lines[lines.length - 1] as string) as { rps: number; errors: number };
    if (line.errors > 0) throw new Error(`perfdo run had ${line.errors} errors against the trivial server`);
    return { rps: line.rps, rssMB: res.rssMB };
  };

  // Per-VU memory: the same two scripts with IDLE_VUS VUs at 1 iteration/s, peak RSS over the VU count.
  const idle = async (): Promise<{ bareMB: number; perfdoMB: number }> => {
    const idleScript = join(dir, "bare-idle.js");
    writeFileSync(idleScript, BARE(server.address, 1, 3, IDLE_VUS));
    const b = await measured(k6.bin, ["run", "--quiet", idleScript], (pid) => [pid]);
    if (b.code !== 0) throw new Error(`bare k6 (idle) failed (${b.code}): ${b.out.slice(-500)}`);
    const args = [
      join(ROOT, "bin", "perfdo.mjs"), "run", "calibration/ping", "--target", `local=${server.address}`, "--profile", "sustain",
      "--rate", "1", "--duration", "3s", "--vus", String(IDLE_VUS), "--max-vus", String(IDLE_VUS), "--quiet", "--no-results",
    ];
    const h = await measured(process.execPath, args, (pid) => childrenNamed(pid, "k6"));
    if (h.code !== 0) throw new Error(`perfdo run (idle) failed (${h.code}): ${h.out.slice(-500)}`);
    return { bareMB: b.rssMB, perfdoMB: h.rssMB };
  };

  const ratios: Array<{ r: number; q: number }> = [];
  let perVU: { bareMB: number; perfdoMB: number } | null = null;
  try {
    await bare(); // warm-up: page cache, CPU frequency, the server's JIT
    for (let round = 1; round <= ROUNDS; round++) {
      const b = await bare();
      const h = await harness();
      const x = { r: h.rps / b.rps, q: h.rssMB / b.rssMB };
      ratios.push(x);
      console.log(
        `round ${round}: bare ${b.rps.toFixed(0)} req/s, ${b.rssMB.toFixed(0)} MB; perfdo run ${h.rps.toFixed(0)} req/s, ${h.rssMB.toFixed(0)} MB → ${x.r.toFixed(3)}x, RSS ${x.q.toFixed(3)}x`,
      );
    }
    perVU = await idle();
  } finally {
    await server.stop();
  }
  const r = median(ratios.map((x) => x.r));
  const q = median(ratios.map((x) => x.q));
  const interval = (xs: number[]): string => {
    const ci = medianInterval(xs);
    return ci ? `${ci.low.toFixed(2)}–${ci.high.toFixed(2)} (${(ci.coverage * 100).toFixed(0)} %)` : "n/a (fewer than 6 rounds)";
  };
  const verdict = r >= TARGET_R && q <= TARGET_Q ? "meets" : "MISSES";
  console.log(`rounds' R ${ratios.map((x) => x.r.toFixed(2)).join(" ")}; median ${r.toFixed(2)}, interval ${interval(ratios.map((x) => x.r))}`);
  console.log(`rounds' Q ${ratios.map((x) => x.q.toFixed(2)).join(" ")}; median ${q.toFixed(2)}, interval ${interval(ratios.map((x) => x.q))}`);
  if (perVU) {
    const kb = (mb: number): string => ((mb * 1024) / IDLE_VUS).toFixed(0);
    console.log(
      `${IDLE_VUS} idle VUs: bare ${perVU.bareMB.toFixed(0)} MB (${kb(perVU.bareMB)} KB/VU), perfdo run ${perVU.perfdoMB.toFixed(0)} MB (${kb(perVU.perfdoMB)} KB/VU): ` +
        `the harness's script costs ${kb(perVU.perfdoMB - perVU.bareMB)} KB more per VU (${(perVU.perfdoMB / perVU.bareMB).toFixed(2)}x)`,
    );
  }
  console.log(`target: R >= ${TARGET_R}, Q <= ${TARGET_Q} (${verdict})`);
  console.log(`overhead: ${r.toFixed(2)}x bare k6 rps, k6 RSS ${q.toFixed(2)}x bare`);
}

function readdirNewest(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith("-benchmarks.jsonl")).sort();
  return files[files.length - 1] as string;
}

await main();
