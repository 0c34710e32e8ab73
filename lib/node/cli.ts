import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { buildAll } from "../../esbuild.config.mjs";
import type { ProfileOverrides } from "../k6/profile";
import { parseDuration } from "../k6/duration";
import { findScenarios, listScenarios } from "./build/catalog";
import { EXIT, PerfdoError } from "./errors";
import { ensureK6, findK6, installHelp } from "./k6/provision";
import { pinnedK6Version } from "./k6/version";
import { ingest } from "./run/ingest";
import { Interrupt, runScenarios } from "./run/run-scenarios";
import { childrenNamed, readProc } from "./run/resources";
import { checksTable, droppedWarning, resourcesLine, resultsTable } from "./results/table";
import { startLocalTarget } from "./target/local";
import { writeFileSync } from "node:fs";
import { baselinePath, makeBaseline, saveBaseline } from "./compare/baseline";
import { worst } from "./compare/compare";
import { judge, runsDir, type JudgeRequest } from "./compare/judge";
import { samplesOf } from "./compare/select";
import { consoleChangePoints, consoleComparison, consoleMatrix } from "./report/console";
import { changePoints } from "./compare/change-points";
import { githubBenchmarkEntries } from "./report/github-benchmark";
import { htmlReport } from "./report/html";
import { coloMatrices, consoleColoMatrix } from "./report/colo-matrix";
import { junitReport } from "./report/junit";
import { markdownReport } from "./report/markdown";
import { matrixRows, readinessLines } from "./report/matrix";
import { readinessLine } from "./thresholds/tiers";
import { addProfileOptions, duration, overridesFrom, positiveNumber } from "./cmds/script-env";
import { cloudCommand } from "./cmds/cloud";
import { k8sCommand } from "./cmds/k8s";
import { sweepCommand } from "./cmds/sweep";
import { toolCommand } from "./cmds/tool";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

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
}

async function runCommand(scenarios: string[], flags: RunFlags): Promise<number> {
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
    return await reportRun(scenarios, flags, interrupt, overrides);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function reportRun(scenarios: string[], flags: RunFlags, interrupt: Interrupt, overrides: ProfileOverrides): Promise<number> {
  const report = await runScenarios({
    root: ROOT,
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
  for (const run of report.runs) {
    console.log(`\n${run.scenario}  (k6 ${report.k6.version}, ${report.target.kind === "local" ? "local target" : report.target.baseDomain})${run.interrupted ? "  INTERRUPTED" : ""}`);
    console.log(resultsTable(run.results));
    if (run.results.length === 0) console.log("no requests were measured");
    const resources = resourcesLine(run.results[0]);
    if (resources) console.log(resources);
    const readiness = readinessLine(run.results[0]?.readiness);
    if (readiness) console.log(readiness);
    if (run.checks.length > 0) console.log(checksTable(run.checks));
    const dropped = droppedWarning(run.droppedIterations, run.offeredIterations, run.results[0]);
    if (dropped) console.log(dropped);
    for (const problem of run.problems) console.log(`warning: ${problem}`);
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
  if (interrupt.signal) {
    console.log(`\nInterrupted by ${interrupt.signal}: results of the part that ran are marked "interrupted"; compare skips them.`);
    return interrupt.signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
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

  addProfileOptions(cli.command("run"))
    .description("build, then run scenarios with k6 and append BenchmarkResult lines to results/")
    .argument("<scenarios...>", "scenario names, e.g. network/echo stores/things")
    .option("-t, --target <target>", 'where load goes: "local" (embedded Worker), "local=127.0.0.1:PORT", or a base domain like perf.do', "local")
    .option("--resolve <domain=host:port>", "as curl's --resolve: connect to this loopback address for the target domain and its subdomains, keeping https, Host and SNI")
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
    .command("ingest")
    .description("merge k6 raw outputs made elsewhere (k6-operator pods, execution segments) into results")
    .argument("<raw-outputs...>", "raw outputs, one per process: k6 --out json (.json, .json.gz) or --out perfdo (.perfdo, .perfdo.gz)")
    .requiredOption("-s, --scenario <name>", "the scenario that produced them (for its thresholds and name)")
    .option("--summary <files...>", "their --summary-export files (for k6's test-run duration)", [])
    .option("-t, --target <target>", 'where the load went: "local" or a base domain like perf.do', "perf.do")
    .option("-p, --profile <name>", "load profile (default: the k6 scenario tag in the samples)")
    .option("--k6-version <v>", "the k6 version that produced them", "unknown")
    .option("--no-results", "print only, do not append to results/")
    .option("--results-dir <dir>", "where history lines go", resolve(ROOT, "results"))
    .action(async (files: string[], flags: { scenario: string; summary: string[]; target: string; profile?: string; k6Version: string; results: boolean; resultsDir: string }) => {
      const { results, historyFile } = await ingest({
        root: ROOT,
        scenario: flags.scenario,
        rawOutputs: files.map((f) => resolve(f)),
        summaries: flags.summary.map((f) => resolve(f)),
        target: flags.target,
        profile: flags.profile,
        resultsDir: resolve(flags.resultsDir),
        writeResults: flags.results,
        k6Version: flags.k6Version,
      });
      console.log(resultsTable(results));
      if (historyFile) console.log(`${results.length} result line(s) appended to ${relative(process.cwd(), historyFile)}`);
    });

  cli
    .command("serve")
    .description("start the local perf.do Worker on loopback so plain `k6 run build/<name>.js -e PERFDO_TARGET=local` can use it")
    .option("--port <n>", "port on 127.0.0.1", (v) => Math.trunc(positiveNumber(v)), 8787)
    .option("--for <d>", "stop by itself after this long (k6 units)", duration)
    .option("--delay-ms <n>", "add this many ms before every request (to see a regression get caught)", positiveNumber)
    .action(async (flags: { port: number; for?: string; delayMs?: number }) => {
      await buildAll({ root: ROOT, names: [] });
      const local = await startLocalTarget(resolve(ROOT, "build", "deploy", "worker.mjs"), { port: flags.port, delayMs: flags.delayMs });
      console.log(`perf.do Worker on ${local.address}; run: k6 run -e PERFDO_TARGET=local -e PERFDO_LOCAL_ADDRESS=${local.address} build/<scenario>.js`);
      // A Worker that dies must not leave a server that looks up: watch workerd and exit 5 if it goes.
      const workerd = childrenNamed(process.pid, "workerd");
      const died = await new Promise<boolean>((done) => {
        const timers: NodeJS.Timeout[] = [];
        const finish = (dead: boolean): void => {
          for (const t of timers) clearTimeout(t);
          done(dead);
        };
        process.once("SIGINT", () => finish(false));
        process.once("SIGTERM", () => finish(false));
        if (flags.for) timers.push(setTimeout(() => finish(false), parseDuration(flags.for) * 1000));
        timers.push(setInterval(() => workerd.length > 0 && workerd.every((pid) => readProc(pid) === null) && finish(true), 500));
      });
      if (died) {
        await local.stop().catch(() => undefined);
        throw new PerfdoError(`the local Worker (workerd pid ${workerd.join(", ")}) exited; serve stops`, EXIT.runFailed);
      }
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

  const judgeOptions = (command: Command): Command =>
    command
      .option("--run <runIds...>", "the runs to judge (default: the newest run of every scenario)")
      .option("--baseline <name>", "a saved baseline (results/baselines/<name>.json, or a path) instead of history")
      .option("--last <n>", "compare against this many earlier comparable runs of history", (v) => Math.trunc(positiveNumber(v)))
      .option("--rules <file>", "regression rules (default thresholds/regression.json)")
      .option("--results-dir <dir>", "the history folder", resolve(ROOT, "results"))
      .option("--out <file>", "write the output to a file instead of stdout")
      .option("--include-interrupted", "also judge and compare against runs stopped by SIGINT/SIGTERM (skipped by default)", false);

  interface JudgeFlags {
    run?: string[];
    baseline?: string;
    last?: number;
    rules?: string;
    resultsDir: string;
    out?: string;
    format: string;
    gate?: boolean;
    all?: boolean;
    includeInterrupted?: boolean;
    history?: boolean;
  }

  const judgeFrom = (flags: JudgeFlags) => {
    const req: JudgeRequest = {
      root: ROOT,
      resultsDir: resolve(flags.resultsDir),
      runIds: flags.run,
      baseline: flags.baseline,
      last: flags.last,
      rulesPath: flags.rules ? resolve(flags.rules) : undefined,
      all: flags.all,
      includeInterrupted: flags.includeInterrupted,
    };
    const judgement = judge(req);
    for (const problem of judgement.problems) console.error(`perfdo: warning: ${problem} (line skipped)`);
    if (judgement.current.length === 0) throw new PerfdoError(`no results in ${relative(process.cwd(), req.resultsDir) || "."} to judge`, EXIT.usage);
    return judgement;
  };

  const emit = (text: string, out: string | undefined): void => {
    if (out) {
      writeFileSync(out, text);
      console.error(`perfdo: wrote ${out}`);
    } else process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  };

  judgeOptions(
    cli
      .command("compare")
      .description("compare runs against a saved baseline or the history; a change counts only when significant"),
  )
    .addOption(new Option("--format <format>", "output format").choices(["console", "markdown", "junit", "json"]).default("console"))
    .option("--gate", "fail (exit 3) when any rule fails", false)
    .option("--history", "also find where each benchmark's p95 shifted over the whole history (change points)", false)
    .action((flags: JudgeFlags) => {
      const j = judgeFrom(flags);
      const shifts = flags.history ? changePoints(j.history) : [];
      const text =
        flags.format === "markdown" ? markdownReport(matrixRows(j.current, j.comparisons), j.comparisons, shifts)
        : flags.format === "junit" ? junitReport(j.current, j.comparisons)
        : flags.format === "json" ? `${JSON.stringify({ baseline: j.baselineSource, comparisons: j.comparisons, ...(flags.history ? { changePoints: shifts } : {}) }, null, 2)}\n`
        : `compared with ${j.baselineSource}\n${consoleComparison(j.comparisons)}${flags.history ? `\n${consoleChangePoints(shifts)}` : ""}`;
      emit(text, flags.out);
      const verdict = worst(j.comparisons.map((c) => c.verdict));
      console.error(`perfdo: overall verdict: ${verdict === "skipped" ? "no baseline to compare with" : verdict}`);
      if (verdict === "fail") {
        if (flags.gate) process.exitCode = EXIT.thresholds;
        else console.error("perfdo: regression found (advisory: exit code 0; pass --gate to fail)");
      }
    });

  judgeOptions(
    cli
      .command("report")
      .description("report runs (or the whole history): console matrix, Markdown, JUnit XML, github-action-benchmark JSON, HTML trends"),
  )
    .addOption(new Option("--format <format>", "output format").choices(["console", "markdown", "junit", "json", "html"]).default("console"))
    .option("--all", "every run in history, not only the newest of each scenario", false)
    .action((flags: JudgeFlags) => {
      const j = judgeFrom(flags);
      const rows = matrixRows(j.current, j.comparisons);
      const shifts = changePoints(j.history);
      const text =
        flags.format === "markdown" ? markdownReport(rows, j.comparisons, shifts, readinessLines(j.current))
        : flags.format === "junit" ? junitReport(j.current, j.comparisons)
        : flags.format === "json" ? `${JSON.stringify(githubBenchmarkEntries(j.current), null, 2)}\n`
        : flags.format === "html" ? htmlReport(j.history, rows, j.comparisons, new Date(), shifts, readinessLines(j.current), coloMatrices(j.current))
        : [consoleMatrix(rows), ...readinessLines(j.current), consoleChangePoints(shifts), ...coloMatrices(j.current).map(consoleColoMatrix)].join("\n");
      emit(text, flags.out);
    });

  cli.addCommand(cloudCommand(ROOT));
  cli.addCommand(k8sCommand(ROOT));
  cli.addCommand(sweepCommand(ROOT));
  cli.addCommand(toolCommand(ROOT));

  const baseline = cli.command("baseline").description("saved baselines for `perfdo compare --baseline`");
  baseline
    .command("save")
    .description("save runs (default: the newest of every scenario) with their samples as a named baseline")
    .option("--name <name>", "baseline name (results/baselines/<name>.json) or a path", "default")
    .option("--run <runIds...>", "the runs to save")
    .option("--results-dir <dir>", "the history folder", resolve(ROOT, "results"))
    .action((flags: { name: string; run?: string[]; resultsDir: string }) => {
      const j = judgeFrom({ ...flags, format: "console" });
      const samples = samplesOf(runsDir(ROOT), j.current);
      const file = makeBaseline(flags.name.replace(/\.json$/, "").split("/").pop() as string, j.current, samples);
      const path = baselinePath(resolve(flags.resultsDir), flags.name);
      saveBaseline(path, file);
      console.log(`saved baseline ${relative(process.cwd(), path)}: ${file.results.length} results from ${file.runIds.length} run(s), samples for ${Object.keys(file.samples).length} benchmarks`);
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
