import { spawn } from "node:child_process";

// One k6 process. k6's exit codes that matter here: 0 ok, 99 thresholds crossed (the run itself
// is complete and its results are valid); anything else means the run did not complete.

export const K6_THRESHOLDS_FAILED = 99;
/** What perfdo reports for a k6 that a signal ended (it has no exit code of its own then). */
export const K6_KILLED = 128;

/** System tags kept in raw output: what results and users filter on, not the whole default set. */
export const SYSTEM_TAGS = ["status", "method", "name", "group", "check", "error", "error_code", "scenario", "expected_response"];

export interface K6Invocation {
  bin: string;
  script: string;
  env: Record<string, string>;
  /** Where the raw samples go: `*.perfdo` through the perfdo output extension, else k6's JSON output. */
  rawOutput: string;
  summaryExport: string;
  quiet: boolean;
  /** A second raw output in k6's JSON format (fixtures capture both, to check the readers agree). */
  jsonOutput?: string;
  /** Extra k6 run flags, e.g. execution segments for one instance of a distributed run. */
  extraArgs?: string[];
  /** The user's own k6 flags (after `--`), last, so that theirs win: their `--out`, `-e`, `--vus`. */
  passthrough?: readonly string[];
  /** Keep k6's default system tags (a script of the user's own may filter on url, proto, …). Default: the harness's short list. */
  allSystemTags?: boolean;
}

export function k6Args(run: K6Invocation): string[] {
  const out = /\.perfdo(\.gz)?$/.test(run.rawOutput) ? `perfdo=${run.rawOutput}` : `json=${run.rawOutput}`;
  const args = ["run", `--out=${out}`, `--summary-export=${run.summaryExport}`, ...(run.allSystemTags ? [] : [`--system-tags=${SYSTEM_TAGS.join(",")}`]), "--no-color"];
  if (run.jsonOutput) args.push(`--out=json=${run.jsonOutput}`);
  if (run.quiet) args.push("--quiet"); // the summary is still exported; stdout is discarded
  if (run.extraArgs) args.push(...run.extraArgs);
  for (const [key, value] of Object.entries(run.env)) args.push("-e", `${key}=${value}`);
  if (run.passthrough) args.push(...run.passthrough);
  args.push(run.script);
  return args;
}

export interface K6Process {
  pid: number | undefined;
  /** k6's exit code (128 when a signal killed it). */
  exited: Promise<number>;
  /** Asks k6 to stop: a first SIGINT is k6's graceful stop (outputs flushed), a second aborts. */
  interrupt(): void;
}

/**
 * Starts one k6 process. It gets a process group of its own, so a Ctrl-C in the terminal reaches
 * only perfdo, which forwards exactly one SIGINT: k6 takes a second one as "abort now".
 */
export function startK6(run: K6Invocation): K6Process {
  const child = spawn(run.bin, k6Args(run), { stdio: ["ignore", run.quiet ? "ignore" : "inherit", "inherit"], detached: true });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? K6_KILLED : 1)));
  });
  return {
    pid: child.pid,
    exited,
    interrupt: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
    },
  };
}

export function runK6(run: K6Invocation): Promise<number> {
  return startK6(run).exited;
}
