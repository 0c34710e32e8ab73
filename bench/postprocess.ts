// npm run bench:postprocess — the results post-processor against a naive readline + JSON.parse pass,
// on the same generated k6-shaped NDJSON file, measured in the same run.
// The file repeats the point lines of a real k6 run (fixtures/k6/things-smoke) with fresh times and
// values, so its mix of metrics, tags and line lengths is k6's own. Target: ≥ 6x naive, peak RSS ≤ 150 MB.

import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

const ROOT = join(import.meta.dirname, "..");
const LINES = Number(process.env.BENCH_LINES ?? 2_000_000);
const TARGET_RATIO = 6;
const TARGET_RSS_MB = 150;

function templateLines(): string[] {
  const raw = gunzipSync(readFileSync(join(ROOT, "fixtures", "k6", "things-smoke", "raw.json.gz"))).toString("utf8");
  return raw.split("\n").filter((l) => l.startsWith('{"metric":'));
}

async function generate(path: string, lines: number): Promise<void> {
  const template = templateLines();
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let seed = 42;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const start = Date.parse("2026-11-23T12:00:00Z");
  let batch: string[] = [];
  for (let i = 0; i < lines; i++) {
    const line = template[i % template.length] as string;
    const time = new Date(start + Math.floor(i / 12)).toISOString().replace("Z", "123456Z");
    const value = line.includes('"metric":"http_req_duration"') ? (0.4 + -Math.log(random()) * 2).toFixed(6) : null;
    let next = line.replace(/"time":"[^"]*"/, `"time":"${time}"`);
    if (value) next = next.replace(/"value":[^,]*/, `"value":${value}`);
    batch.push(next);
    if (batch.length === 10_000) {
      if (!out.write(`${batch.join("\n")}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
      batch = [];
    }
  }
  if (batch.length > 0) out.write(`${batch.join("\n")}\n`);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

interface PassResult {
  mode: string;
  lines: number;
  durations: number;
  ms: number;
  peakRssMB: number;
  p95: number;
}

function pass(mode: "ours" | "naive", file: string): PassResult {
  const res = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "postprocess-pass.ts"), mode, file], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 1 << 20,
    timeout: 10 * 60_000,
  });
  if (res.status !== 0) throw new Error(`${mode} pass failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").pop() as string) as PassResult;
}

// BENCH_FILE keeps the generated file at that path and reuses it on later runs (for iterating).
const keep = process.env.BENCH_FILE;
const file = keep ?? join(tmpdir(), `perfdo-bench-${process.pid}.ndjson`);
try {
  const genStart = performance.now();
  if (!keep || !existsSync(keep)) await generate(file, LINES);
  const bytes = statSync(file).size;
  console.log(`generated ${LINES} lines, ${(bytes / 1e6).toFixed(0)} MB (${(bytes / LINES).toFixed(0)} B/line) in ${((performance.now() - genStart) / 1000).toFixed(1)} s`);
  const naive = pass("naive", file);
  const ours = pass("ours", file);
  console.log(`naive readline + JSON.parse: ${(naive.ms / 1000).toFixed(2)} s, peak RSS ${naive.peakRssMB.toFixed(0)} MB, ${naive.durations} durations`);
  console.log(`perfdo post-processor:       ${(ours.ms / 1000).toFixed(2)} s, peak RSS ${ours.peakRssMB.toFixed(0)} MB, ${ours.durations} durations`);
  if (ours.lines !== naive.lines || ours.durations !== naive.durations) {
    throw new Error(`passes disagree: ${ours.lines}/${ours.durations} lines/durations vs naive ${naive.lines}/${naive.durations}`);
  }
  const ratio = naive.ms / ours.ms;
  const verdict = ratio >= TARGET_RATIO && ours.peakRssMB <= TARGET_RSS_MB ? "meets" : "MISSES";
  console.log(`${verdict} target (≥ ${TARGET_RATIO}x naive, peak RSS ≤ ${TARGET_RSS_MB} MB)`);
  console.log(`postprocess: ${Math.round(ours.lines / (ours.ms / 1000))} lines/s, ${ratio.toFixed(1)}x naive JSON.parse, peak RSS ${ours.peakRssMB.toFixed(0)} MB`);
} finally {
  if (!keep) rmSync(file, { force: true });
}
