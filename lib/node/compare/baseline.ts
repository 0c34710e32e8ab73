import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { inputError } from "../errors";
import { loadJsonFile } from "../json-file";
import { BenchmarkResultSchema, type BenchmarkResult } from "../results/schema";
import { benchmarkKey } from "./key";

// A saved baseline: the result lines of the runs it was made from, plus a bounded sample of each
// benchmark's durations so later comparisons can use a rank test. Kept in results/baselines/.

export const BASELINE_SAMPLES = 2_000;

export const BaselineFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  name: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  runIds: z.array(z.string()).min(1),
  results: z.array(BenchmarkResultSchema).min(1),
  /** benchmarkKey → durations (ms), at most BASELINE_SAMPLES each. */
  samples: z.record(z.string(), z.array(z.number().nonnegative())),
});
export type BaselineFile = z.infer<typeof BaselineFileSchema>;

const RunSamplesSchema = z.object({ samples: z.record(z.string(), z.array(z.number())) });

/** The sample sidecar a run left in build/runs/<runId>/samples.json, keyed by benchmark; null if gone. */
export function readRunSamples(runsDir: string, runId: string, lines: readonly BenchmarkResult[]): Map<string, number[]> | null {
  const path = join(runsDir, runId, "samples.json");
  if (!existsSync(path)) return null;
  const parsed = RunSamplesSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) return null;
  const out = new Map<string, number[]>();
  for (const line of lines) {
    const samples = parsed.data.samples[line.name];
    if (samples) out.set(benchmarkKey(line), samples);
  }
  return out;
}

function thin(samples: readonly number[], max: number): number[] {
  if (samples.length <= max) return [...samples];
  const step = samples.length / max; // reservoir samples are already in random order: an even stride keeps it uniform
  return Array.from({ length: max }, (_, i) => samples[Math.floor(i * step)] as number);
}

export function makeBaseline(name: string, results: readonly BenchmarkResult[], samples: Map<string, number[]>, now = new Date()): BaselineFile {
  const runIds = [...new Set(results.map((r) => r.runId))];
  return BaselineFileSchema.parse({
    schemaVersion: 1,
    name,
    createdAt: now.toISOString(),
    runIds,
    results,
    samples: Object.fromEntries([...samples].map(([key, list]) => [key, thin(list, BASELINE_SAMPLES)])),
  });
}

export function baselinePath(resultsDir: string, nameOrPath: string): string {
  return nameOrPath.includes("/") || nameOrPath.endsWith(".json") ? nameOrPath : join(resultsDir, "baselines", `${nameOrPath}.json`);
}

/** Written to a temporary file and renamed, so a baseline is replaced whole or not at all. */
export function saveBaseline(path: string, baseline: BaselineFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(baseline)}\n`);
  renameSync(tmp, path);
}

export function loadBaseline(path: string): BaselineFile {
  if (!existsSync(path)) throw inputError(`baseline ${path} does not exist (save one with \`perfdo baseline save\`)`);
  return loadJsonFile(path, BaselineFileSchema);
}
