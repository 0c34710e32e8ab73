import { writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { judge, type JudgeRequest } from "../compare/judge";
import { EXIT, PerfdoError } from "../errors";
import { resultsDirOption } from "./options";
import { positiveNumber } from "./script-env";

// What compare, report and baseline share: which runs to judge against what, and where output goes.

export interface JudgeFlags {
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

export function judgeOptions(command: Command, root: string): Command {
  command
    .option("--run <runIds...>", "the runs to judge (default: the newest run of every scenario)")
    .option("--baseline <name>", "a saved baseline (results/baselines/<name>.json, or a path) instead of history")
    .option("--last <n>", "compare against this many earlier comparable runs of history", (v) => Math.trunc(positiveNumber(v)))
    .option("--rules <file>", "regression rules (default thresholds/regression.json)");
  resultsDirOption(command, root, "the history folder");
  return command
    .option("--out <file>", "write the output to a file instead of stdout")
    .option("--include-interrupted", "also judge and compare against runs stopped by SIGINT/SIGTERM (skipped by default)", false);
}

export function judgeFrom(root: string, flags: JudgeFlags): ReturnType<typeof judge> {
  const req: JudgeRequest = {
    root,
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
}

export function emit(text: string, out: string | undefined): void {
  if (out) {
    writeFileSync(out, text);
    console.error(`perfdo: wrote ${out}`);
  } else process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}
