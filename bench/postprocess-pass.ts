// One timed pass over a k6 NDJSON file, in its own process so its peak RSS is its own.
//   node --import tsx bench/postprocess-pass.ts ours|naive FILE
// Prints one JSON line: { mode, lines, durations, ms, peakRssMB, p95 }.

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { readRawOutput } from "../lib/node/results/k6-output";

const [mode, file] = process.argv.slice(2);
if ((mode !== "ours" && mode !== "naive") || !file) {
  console.error("usage: postprocess-pass.ts ours|naive FILE");
  process.exit(2);
}

interface Point {
  metric?: string;
  type?: string;
  data?: { value?: number; tags?: Record<string, string> };
}

/** What a straightforward post-processor does: parse every line, keep every duration per operation. */
async function naive(path: string): Promise<{ lines: number; durations: number; p95: number }> {
  const perOp = new Map<string, number[]>();
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    lines++;
    const point = JSON.parse(line) as Point;
    if (point.type !== "Point" || point.metric !== "http_req_duration" || point.data?.tags?.expected_response === "false") continue;
    const name = point.data?.tags?.name ?? "unnamed";
    let list = perOp.get(name);
    if (!list) perOp.set(name, (list = []));
    list.push(point.data?.value ?? 0);
  }
  const all = [...perOp.values()].flat().sort((a, b) => a - b);
  return { lines, durations: all.length, p95: all[Math.floor(0.95 * (all.length - 1))] ?? 0 };
}

async function ours(path: string): Promise<{ lines: number; durations: number; p95: number }> {
  const run = await readRawOutput(path);
  let durations = 0;
  const all = new (await import("../lib/node/results/accumulator")).LatencyAccumulator();
  for (const op of run.operations.values()) {
    durations += op.latency.count;
    all.merge(op.latency);
  }
  return { lines: run.lines, durations, p95: all.stats()?.p95 ?? 0 };
}

const started = performance.now();
const result = mode === "ours" ? await ours(file) : await naive(file);
const ms = performance.now() - started;
const peakRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ mode, ...result, ms, peakRssMB }));
