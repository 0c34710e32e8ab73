import { spawn } from "node:child_process";

// One k6 process. k6's exit codes that matter here: 0 ok, 99 thresholds crossed (the run itself
// is complete and its results are valid); anything else means the run did not complete.

export const K6_THRESHOLDS_FAILED = 99;

/** System tags kept in raw output: what results and users filter on, not the whole default set. */
export const SYSTEM_TAGS = ["status", "method", "name", "group", "check", "error", "error_code", "scenario", "expected_response"];

export interface K6Invocation {
  bin: string;
  script: string;
  env: Record<string, string>;
  rawOutput: string;
  summaryExport: string;
  quiet: boolean;
  /** Extra k6 run flags, e.g. execution segments for one instance of a distributed run. */
  extraArgs?: string[];
}

/**
 * k6 execution segments splitting a run into `n` equal parts, as k6-operator does:
 * instance i runs `i/n:(i+1)/n` of the shared sequence `0,1/n,…,1`.
 */
export function executionSegments(n: number): Array<{ segment: string; sequence: string }> {
  const point = (i: number): string => (i === 0 ? "0" : i === n ? "1" : `${i}/${n}`);
  const sequence = Array.from({ length: n + 1 }, (_, i) => point(i)).join(",");
  return Array.from({ length: n }, (_, i) => ({ segment: `${point(i)}:${point(i + 1)}`, sequence }));
}

export function k6Args(run: K6Invocation): string[] {
  const args = ["run", `--out=json=${run.rawOutput}`, `--summary-export=${run.summaryExport}`, `--system-tags=${SYSTEM_TAGS.join(",")}`, "--no-color"];
  if (run.quiet) args.push("--quiet"); // the summary is still exported; stdout is discarded
  if (run.extraArgs) args.push(...run.extraArgs);
  for (const [key, value] of Object.entries(run.env)) args.push("-e", `${key}=${value}`);
  args.push(run.script);
  return args;
}

export function runK6(run: K6Invocation): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(run.bin, k6Args(run), { stdio: ["ignore", run.quiet ? "ignore" : "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
