// npm run bench:target — what the embedded local target costs per request, against its floor.
// workerd's own CPU time (utime + stime from /proc/<pid>/stat) over a fixed number of requests
// offered at one fixed rate (BENCH_RPS, default 400 requests/s), for:
//   F (floor):   bare workerd serving a one-line Worker that forwards to a one-line Durable Object
//                (bench/target/floor.mjs), driven by a one-line k6 script;
//   E (echo):    the local target serving the built network/echo scenario (4 requests an iteration);
//   T (things):  the local target serving the built stores/things scenario (5 requests an iteration).
// Each is started fresh, warmed up (WARM_SECONDS at the same rate, not counted), then measured for
// BENCH_SECONDS; rounds interleave F, E, T so drift hits all three alike, and each round's ratios
// (E/F, T/F of that round) are paired: the result is their median over rounds. The floor alone moves
// ±15 % between rounds here, so a single round says little. BENCH_BACKEND=miniflare measures the target as miniflare ran it before, for comparison.
// Last line: `target: <E/F>x floor per echo request, <T/F>x per things request (floor <F> ms)`.
// Targets: E ≤ 1.3 F, T ≤ 1.6 F; exit 1 when missed.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAll } from "../esbuild.config.mjs";
import { ensureK6 } from "../lib/node/k6/provision";
import { readProc } from "../lib/node/run/resources";
import { startLocalTarget } from "../lib/node/target/local";
import { startWorkerd } from "../lib/node/target/workerd";

const ROOT = join(import.meta.dirname, "..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 3);
const RPS = Number(process.env.BENCH_RPS ?? 400);
const BACKEND = process.env.BENCH_BACKEND === "miniflare" ? "miniflare" : "workerd";
const TARGET = { echo: 1.3, things: 1.6 };
const TICK_MS = 1000 / Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);

const FLOOR_SCRIPT = (address: string, seconds: number): string => `import http from "k6/http";
export const options = { scenarios: { floor: { executor: "constant-arrival-rate", rate: ${RPS}, timeUnit: "1s", duration: "${seconds}s", preAllocatedVUs: 50, maxVUs: 200 } } };
export default function () { http.get("http://${address}/"); }
`;

interface Target {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

async function ourTarget(worker: string): Promise<Target> {
  const t = await startLocalTarget(worker, { backend: BACKEND });
  return { address: t.address, pid: t.pid, stop: () => t.stop() };
}

async function floorTarget(): Promise<Target> {
  const w = await startWorkerd({ script: join(ROOT, "bench", "target", "floor.mjs"), compatibilityDate: "2026-04-01", durableObjects: { FLOOR: "Floor" } });
  return { address: `127.0.0.1:${w.port}`, pid: w.pid, stop: () => w.stop() };
}

/** k6 run; returns the HTTP requests it made (its summary's http_reqs count). */
function k6Run(k6: string, script: string, env: Record<string, string>, dir: string): number {
  const summary = join(dir, "summary.json");
  const res = spawnSync(k6, ["run", "--quiet", "--no-thresholds", `--summary-export=${summary}`, ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), script], {
    encoding: "utf8",
    timeout: (SECONDS + WARM_SECONDS + 60) * 1000,
  });
  if (res.status !== 0) throw new Error(`k6 failed (${res.status}): ${res.stderr.slice(-500)}`);
  const m = (JSON.parse(readFileSync(summary, "utf8")) as { metrics: { http_reqs: { count: number }; http_req_failed?: { passes?: number; value?: number } } }).metrics;
  if ((m.http_req_failed?.passes ?? 0) > 0) throw new Error(`${script}: ${m.http_req_failed?.passes} requests failed`);
  return m.http_reqs.count;
}

/** workerd CPU ms per request over one measured run (after a warm-up run on the same process). */
async function cpuPerRequest(k6: string, start: () => Promise<Target>, run: (address: string, seconds: number) => number): Promise<number> {
  const target = await start();
  try {
    run(target.address, WARM_SECONDS);
    const before = readProc(target.pid)?.ticks;
    const requests = run(target.address, SECONDS);
    const after = readProc(target.pid)?.ticks;
    if (before === undefined || after === undefined) throw new Error("workerd's /proc entry is gone");
    return ((after - before) * TICK_MS) / requests;
  } finally {
    await target.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const k6 = ensureK6(ROOT).bin;
  const { scenarios, worker } = await buildAll({ root: ROOT });
  const scriptOf = (name: string): string => scenarios.find((s) => s.name === name)?.script as string;
  const dir = mkdtempSync(join(tmpdir(), "perfdo-bench-target-"));
  const floorScript = (seconds: number): string => {
    const path = join(dir, `floor-${seconds}.js`);
    return path;
  };
  const floor = (address: string, seconds: number): number => {
    const path = floorScript(seconds);
    writeFileSync(path, FLOOR_SCRIPT(address, seconds));
    return k6Run(k6, path, {}, dir);
  };
  // network/echo makes 4 requests an iteration, stores/things 5: the same request rate for all three.
  const scenario = (name: string, perIteration: number) => (address: string, seconds: number): number =>
    k6Run(k6, scriptOf(name), { PERFDO_TARGET: "local", PERFDO_LOCAL_ADDRESS: address, PERFDO_PROFILE: "sustain", PERFDO_RATE: String(RPS / perIteration), PERFDO_DURATION: `${seconds}s`, PERFDO_VUS: "50", PERFDO_MAX_VUS: "200" }, dir);

  console.log(`bench:target: workerd CPU per request at ${RPS} requests/s, ${ROUNDS} rounds × ${SECONDS} s (after ${WARM_SECONDS} s warm-up), our Worker on ${BACKEND}`);
  const f: number[] = [];
  const e: number[] = [];
  const t: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    f.push(await cpuPerRequest(k6, floorTarget, floor));
    e.push(await cpuPerRequest(k6, () => ourTarget(worker), scenario("network/echo", 4)));
    t.push(await cpuPerRequest(k6, () => ourTarget(worker), scenario("stores/things", 5)));
    const [fl, ec, th] = [f.at(-1) as number, e.at(-1) as number, t.at(-1) as number];
    console.log(`round ${round}: floor ${fl.toFixed(3)} ms, echo ${ec.toFixed(3)} ms (${(ec / fl).toFixed(2)}x), things ${th.toFixed(3)} ms (${(th / fl).toFixed(2)}x) per request`);
  }
  const F = median(f);
  const E = median(e.map((x, i) => x / (f[i] as number)));
  const T = median(t.map((x, i) => x / (f[i] as number)));
  const ok = E <= TARGET.echo && T <= TARGET.things;
  console.log(`targets: echo ≤ ${TARGET.echo}x, things ≤ ${TARGET.things}x: ${ok ? "met" : "MISSED"}`);
  console.log(`target: ${E.toFixed(2)}x floor per echo request, ${T.toFixed(2)}x per things request (floor ${F.toFixed(3)} ms)`);
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`bench:target: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
