import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import { buildAll } from "../../esbuild.config.mjs";
import { PROFILE_NAMES, type ProfileOverrides } from "../k6/profile";
import { parseDuration } from "../k6/duration";
import { findScenarios, listScenarios } from "./build/catalog";
import { EXIT, PerfdoError } from "./errors";
import { ensureK6, findK6, installHelp } from "./k6/provision";
import { pinnedK6Version } from "./k6/version";
import { runScenarios } from "./run/run-scenarios";
import { resultsTable } from "./results/table";
import { startLocalTarget } from "./target/local";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

function duration(value: string): string {
  try {
    if (parseDuration(value) <= 0) throw new Error("must be positive");
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

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
  instances: number;
  quiet: boolean;
}

async function runCommand(scenarios: string[], flags: RunFlags): Promise<number> {
  const overrides: ProfileOverrides = {
    rate: flags.rate,
    peakRate: flags.peakRate,
    duration: flags.duration,
    vus: flags.vus,
    maxVUs: flags.maxVus,
    iterations: flags.iterations,
  };
  const report = await runScenarios({
    root: ROOT,
    scenarios,
    profile: flags.profile,
    overrides,
    target: flags.target,
    resultsDir: resolve(flags.resultsDir),
    thresholdsDir: flags.thresholdsDir ? resolve(flags.thresholdsDir) : undefined,
    writeResults: flags.results,
    instances: flags.instances,
    quiet: flags.quiet,
  });
  let breached = false;
  for (const run of report.runs) {
    console.log(`\n${run.scenario}  (k6 ${report.k6.version}, ${report.target.kind === "local" ? "local target" : report.target.baseDomain})`);
    console.log(resultsTable(run.results));
    if (run.results.length === 0) console.log("no requests were measured");
    if (run.historyFile) console.log(`${run.results.length} result line(s) appended to ${relative(process.cwd(), run.historyFile)}`);
    breached ||= run.thresholdsBreached;
  }
  if (breached) {
    const banner = flags.gate
      ? "THRESHOLDS BREACHED: failing the run (--gate)."
      : "THRESHOLDS BREACHED (advisory: exit code 0; pass --gate to fail the run).";
    console.log(`\n${"!".repeat(banner.length)}\n${banner}\n${"!".repeat(banner.length)}`);
    if (flags.gate) return EXIT.thresholds;
  }
  return EXIT.ok;
}

export function program(): Command {
  const cli = new Command("perfdo")
    .description("Load-testing harness for perf.do: TypeScript k6 scenarios, a local reference Worker, BenchmarkResult history.")
    .exitOverride();

  cli
    .command("build")
    .description("bundle scenarios/**/*.ts into build/*.js (thresholds compiled in) and the reference Worker")
    .argument("[scenarios...]", "scenario names (default: all)")
    .option("--thresholds-dir <dir>", "use thresholds from this folder instead of thresholds/")
    .action(async (names: string[], flags: { thresholdsDir?: string }) => {
      const selected = names.length > 0 ? findScenarios(ROOT, names).map((s) => s.name) : undefined;
      const thresholdsDir = flags.thresholdsDir ? resolve(flags.thresholdsDir) : undefined;
      const { scenarios, worker } = await buildAll({ root: ROOT, names: selected, thresholdsDir });
      for (const s of scenarios) {
        console.log(`built ${relative(ROOT, s.script)}${s.thresholds ? ` (thresholds: ${s.thresholds})` : " (no thresholds file)"}`);
      }
      console.log(`built ${relative(ROOT, worker)}`);
    });

  cli
    .command("run")
    .description("build, then run scenarios with k6 and append BenchmarkResult lines to results/")
    .argument("<scenarios...>", "scenario names, e.g. network/echo stores/things")
    .addOption(new Option("-p, --profile <name>", "load profile (default: the scenario's own)").choices([...PROFILE_NAMES]))
    .option("-t, --target <target>", 'where load goes: "local" (embedded Worker), "local=127.0.0.1:PORT", or a base domain like perf.do', "local")
    .option("--rate <n>", "iterations per second (arrival-rate profiles)", positiveNumber)
    .option("--peak-rate <n>", "peak iterations per second (spike, stress)", positiveNumber)
    .option("-d, --duration <d>", "run duration, k6 units (30s, 2m)", duration)
    .option("--vus <n>", "VUs (ramp/smoke) or pre-allocated VUs (arrival rate)", positiveNumber)
    .option("--max-vus <n>", "VU ceiling for arrival-rate profiles", positiveNumber)
    .option("--iterations <n>", "iterations per VU (smoke)", positiveNumber)
    .option("--instances <n>", "k6 processes per scenario, each one execution segment; results merged from their samples", (v) => Math.trunc(positiveNumber(v)), 1)
    .option("--gate", "fail (exit 3) when a threshold is breached", false)
    .option("--no-results", "do not append to results/")
    .option("--results-dir <dir>", "where history lines go", resolve(ROOT, "results"))
    .option("--thresholds-dir <dir>", "use thresholds from this folder instead of thresholds/")
    .option("-q, --quiet", "hide k6's own progress and summary", false)
    .action(async (scenarios: string[], flags: RunFlags) => {
      process.exitCode = await runCommand(scenarios, flags);
    });

  cli
    .command("serve")
    .description("start the local perf.do Worker on loopback so plain `k6 run build/<name>.js -e PERFDO_TARGET=local` can use it")
    .option("--port <n>", "port on 127.0.0.1", (v) => Math.trunc(positiveNumber(v)), 8787)
    .option("--for <d>", "stop by itself after this long (k6 units)", duration)
    .action(async (flags: { port: number; for?: string }) => {
      await buildAll({ root: ROOT, names: [] });
      const local = await startLocalTarget(resolve(ROOT, "build", "deploy", "worker.mjs"), { port: flags.port });
      console.log(`perf.do Worker on ${local.address}; run: k6 run -e PERFDO_TARGET=local -e PERFDO_LOCAL_ADDRESS=${local.address} build/<scenario>.js`);
      await new Promise<void>((done) => {
        const stop = (): void => done();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        if (flags.for) setTimeout(stop, parseDuration(flags.for) * 1000);
      });
      await local.stop();
    });

  cli
    .command("provision")
    .description("make the pinned k6 available (K6_BIN, PATH, or go install into .tools/bin)")
    .option("--soft", "on failure print how to install k6 but exit 0 (used by npm install)", false)
    .action((flags: { soft: boolean }) => {
      try {
        const k6 = ensureK6(ROOT);
        console.log(`perfdo: k6 ${k6.version} ready (${k6.source}: ${k6.bin})`);
      } catch (err) {
        if (!flags.soft || !(err instanceof PerfdoError)) throw err;
        console.error(`perfdo: warning: ${err.message}`);
      }
    });

  cli
    .command("scenarios")
    .description("list scenario names")
    .action(() => {
      for (const s of listScenarios(ROOT)) console.log(s.name);
    });

  cli
    .command("k6-version")
    .description("print the pinned k6 version and the k6 that would be used")
    .action(() => {
      const pinned = pinnedK6Version(ROOT);
      const found = findK6(ROOT);
      console.log(found ? `k6 ${pinned}: ${found.bin} (${found.source})` : `k6 ${pinned}: not installed\n${installHelp(pinned)}`);
    });

  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    const commanderCode = (err as { code?: string }).code;
    if (commanderCode === "commander.helpDisplayed" || commanderCode === "commander.version" || commanderCode === "commander.help") return EXIT.ok;
    if (commanderCode?.startsWith("commander.")) return EXIT.usage; // commander already printed the one-line reason
    if (err instanceof PerfdoError) {
      console.error(`perfdo: ${err.message}`);
      return err.exitCode;
    }
    console.error(`perfdo: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.internal;
  }
}
