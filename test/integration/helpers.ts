import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorker } from "../../esbuild.config.mjs";
import { BenchmarkResultSchema, type BenchmarkResult } from "../../lib/node/results/schema";
import { startLocalTarget, type LocalTarget } from "../../lib/node/target/local";
import type { Fault } from "../../deploy/src/faults";

export const ROOT = join(import.meta.dirname, "..", "..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (bin/perfdo.mjs) as a user would. Bounded: killed after `timeoutMs`. */
export function perfdo(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return command(process.execPath, [join(ROOT, "bin", "perfdo.mjs"), ...args], { env, timeoutMs });
}

/** Runs any command to completion (stdout and stderr captured). Bounded: killed after `timeoutMs`. */
export function command(bin: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export async function startWorker(options: { delayMs?: number; fault?: Fault } = {}): Promise<LocalTarget> {
  return startLocalTarget(await buildWorker(ROOT), options);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `perfdo-${prefix}-`));
}

/** Every line of every history file in `dir`, validated with the results schema. */
export function readResults(dir: string): BenchmarkResult[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith("-benchmarks.jsonl"))
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l.length > 0))
    .map((line) => BenchmarkResultSchema.parse(JSON.parse(line)));
}

/**
 * Records a measured value an assertion with a margin looks at, as a test diagnostic (`ℹ measured
 * <what>: <value>` in the spec output), so the spread behind each margin can be read off repeated
 * runs (npm run test:repeat) instead of guessed.
 */
export function measured(t: { diagnostic(message: string): void }, what: string, value: number | string): void {
  t.diagnostic(`measured ${what}: ${typeof value === "number" ? Number(value.toPrecision(4)) : value}`);
}

export const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

export interface RunChecks { scenario: string; runId: string; areas: Array<{ area: string; checks: number; passes: number; fails: number }> }

/**
 * The checks of every scenario a `perfdo run` ran, as data: the `checks.json` each run leaves in its
 * artifacts folder (named on stderr: "perfdo: <scenario>: artifacts in <dir>"), keyed by scenario.
 */
export function runChecks(res: CliResult): Map<string, RunChecks> {
  const out = new Map<string, RunChecks>();
  for (const m of res.stderr.matchAll(/^perfdo: (\S+): artifacts in (\S+)$/gm)) {
    const checks = JSON.parse(readFileSync(join(ROOT, m[2] as string, "checks.json"), "utf8")) as RunChecks;
    out.set(m[1] as string, checks);
  }
  return out;
}

/** Every area of `runs`, by name (areas are unique across the E2E suites). */
export function areasOf(runs: Map<string, RunChecks>): Map<string, RunChecks["areas"][number]> {
  return new Map([...runs.values()].flatMap((r) => r.areas.map((a) => [a.area, a] as const)));
}
