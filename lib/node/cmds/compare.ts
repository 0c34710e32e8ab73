import { Command, Option } from "commander";
import { changePoints } from "../compare/change-points";
import { worst } from "../compare/compare";
import { EXIT } from "../errors";
import { consoleChangePoints, consoleComparison } from "../report/console";
import { junitReport } from "../report/junit";
import { markdownReport } from "../report/markdown";
import { matrixRows } from "../report/matrix";
import { emit, judgeFrom, judgeOptions, type JudgeFlags } from "./judged";

// `perfdo compare`: runs against a saved baseline or the history; a change counts only when significant.

export function compareCommand(root: string): Command {
  return judgeOptions(
    new Command("compare").exitOverride().description("compare runs against a saved baseline or the history; a change counts only when significant"),
    root,
  )
    .addOption(new Option("--format <format>", "output format").choices(["console", "markdown", "junit", "json"]).default("console"))
    .option("--gate", "fail (exit 3) when any rule fails", false)
    .option("--history", "also find where each benchmark's p95 shifted over the whole history (change points)", false)
    .action((flags: JudgeFlags) => {
      const j = judgeFrom(root, flags);
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
}
