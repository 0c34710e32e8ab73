import { relative, resolve } from "node:path";
import { Command } from "commander";
import type { ProfileOverrides } from "../../k6/profile";
import { EXIT } from "../errors";
import { Interrupt, runScenarios } from "../run/run-scenarios";
import { busiestObjectsLine, checksTable, correctedLines, droppedWarning, overloadLines, resourcesLine, resultsTable, saturationWarning } from "../results/table";
import { costLine } from "../results/cost";
import { generatorCapacityPct } from "../run/saturation";
import { readinessLine } from "../thresholds/tiers";
import { resultsDirOption, targetEnv, targetOption, targetUrlOptions } from "./options";
import { targetUrl } from "../../k6/target";
import { addProfileOptions, overridesFrom, positiveNumber } from "./script-env";

// `perfdo run <scenarios…>`: build, validate everything, run k6 once per scenario, print the table,
// append the results. SIGINT/SIGTERM stop k6 gracefully and keep what it measured.

interface RunFlags {
  profile?: string;
  target: string;
  rate?: number;
  peakRate?: number;
  duration?: string;
  vus?: number;
  maxVus?: number;
  iterations?: number;
  gate: boolean;
  results: boolean;
  resultsDir: string;
  thresholdsDir?: string;
  resolve?: string;
  instances: number;
  quiet: boolean;
  allow?: string;
  namespaceIn?: string;
}

async function runScenariosCommand(root: string, scenarios: string[], flags: RunFlags, k6Args: string[]): Promise<number> {
  const overrides = overridesFrom(flags as unknown as Record<string, unknown>);
  // SIGINT/SIGTERM (Ctrl-C, a CI runner's cancel): stop k6 gracefully and keep what it measured.
  const interrupt = new Interrupt();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupt.signal) console.error(`\nperfdo: ${signal}: stopping k6 gracefully; what it measured so far is kept (interrupted). ${signal} again aborts k6.`);
    interrupt.press(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await reportRun(root, scenarios, flags, interrupt, overrides, k6Args);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function reportRun(root: string, scenarios: string[], flags: RunFlags, interrupt: Interrupt, overrides: ProfileOverrides, k6Args: string[]): Promise<number> {
  const report = await runScenarios({
    env: targetEnv(flags),
    k6Args,
    root,
    scenarios,
    profile: flags.profile,
    overrides,
    target: flags.target,
    resolve: flags.resolve,
    resultsDir: resolve(flags.resultsDir),
    thresholdsDir: flags.thresholdsDir ? resolve(flags.thresholdsDir) : undefined,
    writeResults: flags.results,
    instances: flags.instances,
    quiet: flags.quiet,
    interrupt,
  });
  let breached = false;
  let generatorSaturated = false;
  for (const run of report.runs) {
    const where = report.target.plain ? targetUrl(report.target) : report.target.kind === "local" ? "local target" : report.target.baseDomain;
    console.log(`\n${run.scenario}  (k6 ${report.k6.version}, ${where})${run.interrupted ? "  INTERRUPTED" : ""}`);
    console.log(resultsTable(run.results));
    if (run.results.length === 0) console.log("no requests were measured");
    const resources = resourcesLine(run.results[0]);
    if (resources) console.log(resources);
    // Durable Objects and Cloudflare's bill are perf.do's: a plain HTTP API has neither.
    const perfdoLines = report.target.plain ? [] : [busiestObjectsLine(run.results), overloadLines(run.results), costLine(run.results)];
    for (const line of perfdoLines) if (line) console.log(line);
    const readiness = readinessLine(run.results[0]?.readiness);
    if (readiness) console.log(readiness);
    if (run.checks.length > 0) console.log(checksTable(run.checks));
    const dropped = droppedWarning(run.droppedIterations, run.offeredIterations, run.results[0]);
    if (dropped) console.log(dropped);
    const corrected = correctedLines(run.results);
    if (corrected) console.log(corrected);
    const saturated = saturationWarning(run.results[0], generatorCapacityPct(process.env, flags.instances));
    if (saturated) console.log(saturated);
    generatorSaturated ||= run.generatorSaturated;
    for (const problem of run.problems) console.log(`warning: ${problem}`);
    if (run.historyFile) console.log(`${run.results.length} result line(s) appended to ${relative(process.cwd(), run.historyFile)}`);
    breached ||= run.thresholdsBreached;
  }
  if (breached) {
    const banner = flags.gate
      ? "THRESHOLDS BREACHED: failing the run (--gate)."
      : "THRESHOLDS BREACHED (advisory: exit code 0; pass --gate to fail the run).";
    console.log(`\n${"!".repeat(banner.length)}\n${banner}\n${"!".repeat(banner.length)}`);
  }
  // A saturated generator measured itself: --gate refuses the run as it refuses a breach.
  if (generatorSaturated && flags.gate) console.log("\nGENERATOR SATURATED: failing the run (--gate): its latencies are k6's as much as the target's.");
  if (flags.gate && (breached || generatorSaturated)) return EXIT.thresholds;
  if (interrupt.signal) {
    console.log(`\nInterrupted by ${interrupt.signal}: results of the part that ran are marked "interrupted"; compare skips them.`);
    return interrupt.signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
  }
  return EXIT.ok;
}

export function runCommand(root: string): Command {
  const command = addProfileOptions(new Command("run").exitOverride())
    .description("build, then run scenarios with k6 and append BenchmarkResult lines to results/")
    .argument("<scenarios...>", "scenario names (network/echo stores/things) or paths to k6 scripts of your own (./load/test.js); k6 flags after --");
  targetOption(command, "local", 'where load goes: "local" (embedded Worker), "local=127.0.0.1:PORT", a base domain like perf.do, or a URL like http://127.0.0.1:3000/api/v1');
  targetUrlOptions(command);
  resultsDirOption(command, root);
  return command
    .option("--resolve <domain=host:port>", "as curl's --resolve: connect to this loopback address for the target domain and its subdomains, keeping https, Host and SNI")
    .option("--instances <n>", "k6 processes per scenario, each one execution segment; results merged from their samples", (v) => Math.trunc(positiveNumber(v)), 1)
    .option("--gate", "fail (exit 3) when a threshold is breached", false)
    .option("--no-results", "do not append to results/")
    .option("--thresholds-dir <dir>", "use thresholds from this folder instead of thresholds/")
    .option("-q, --quiet", "hide k6's own progress and summary", false)
    .action(async (scenarios: string[], flags: RunFlags, self: Command) => {
      // Everything after `--` is k6's (commander hands it over as more operands): `-- --out csv=x.csv -e K=V`.
      // commander keeps the arguments it parsed as `rawArgs` (untyped) on the command parse() ran on.
      const raw = (self.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
      const dash = raw.indexOf("--");
      const k6Args = dash < 0 ? [] : raw.slice(dash + 1);
      process.exitCode = await runScenariosCommand(root, scenarios.slice(0, scenarios.length - k6Args.length), flags, k6Args);
    });
}
