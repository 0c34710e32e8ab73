import { Command, Option } from "commander";
import { changePoints } from "../compare/change-points";
import { coloMatrices, consoleColoMatrix } from "../report/colo-matrix";
import { consoleChangePoints, consoleMatrix } from "../report/console";
import { githubBenchmarkEntries } from "../report/github-benchmark";
import { htmlReport } from "../report/html";
import { junitReport } from "../report/junit";
import { markdownReport } from "../report/markdown";
import { matrixRows, readinessLines } from "../report/matrix";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { judgeClaims } from "../claims/judge";
import { loadLedger } from "../claims/ledger";
import { consoleClaims, htmlClaims, markdownClaims } from "../claims/render";
import { emit, judgeFrom, judgeOptions, type JudgeFlags } from "./judged";
import { runReport, writeLinkedRunReports } from "../report/run-report-file";
import { listScenarios } from "../build/catalog";

// `perfdo report`: the newest runs (or the whole history) as console, Markdown, JUnit, JSON or HTML.
// `--run <runId> --format html`: the report of that one run over time, from its raw capture
// (report/run-report.ts); the trend report (`--format html --out f.html`) links each point to it.

export function reportCommand(root: string): Command {
  return judgeOptions(
    new Command("report")
      .exitOverride()
      .description("report runs (or the whole history): console matrix, Markdown, JUnit XML, github-action-benchmark JSON, HTML trends; --run <runId> --format html: that one run over time, from its raw capture"),
    root,
  )
    .addOption(new Option("--format <format>", "output format").choices(["console", "markdown", "junit", "json", "html"]).default("console"))
    .option("--all", "every run in history, not only the newest of each scenario", false)
    .action(async (flags: JudgeFlags) => {
      if (flags.format === "html" && flags.run?.length === 1) {
        emit(await runReport(root, resolve(flags.resultsDir), flags.run[0] as string), flags.out);
        return;
      }
      const j = judgeFrom(root, flags);
      const rows = matrixRows(j.current, j.comparisons);
      const shifts = changePoints(j.history);
      // The claims table, as `perfdo claims` prints it, judged from the same history.
      const ledgerPath = resolve(root, "claims", "perf-do.json");
      // perf.do's claims are about perf.do: a history of your own API's runs alone gets no claims table.
      const catalog = new Set(listScenarios(root).map((s) => s.name).filter((name) => !name.startsWith("examples/")));
      const perfdo = j.history.some((r) => catalog.has(r.scenario));
      const ledger = perfdo && existsSync(ledgerPath) ? loadLedger(ledgerPath, root) : null;
      const claimRows = ledger ? judgeClaims(ledger, j.history) : [];
      const text =
        flags.format === "markdown" ? markdownReport(rows, j.comparisons, shifts, readinessLines(j.current), ledger ? markdownClaims(ledger, claimRows) : "")
        : flags.format === "junit" ? junitReport(j.current, j.comparisons)
        : flags.format === "json" ? `${JSON.stringify(githubBenchmarkEntries(j.current), null, 2)}\n`
        : flags.format === "html"
          ? htmlReport(j.history, rows, j.comparisons, new Date(), shifts, readinessLines(j.current), coloMatrices(j.current), ledger ? htmlClaims(ledger, claimRows) : "",
              // Each point links to its run's report, where the run's capture is still kept (only with --out: the links are files beside it).
              flags.out ? await writeLinkedRunReports(root, j.history, j.history.map((r) => r.runId), resolve(flags.out)) : new Map())
        : [consoleMatrix(rows), ...(ledger ? ["", consoleClaims(ledger, claimRows)] : []), ...readinessLines(j.current), consoleChangePoints(shifts), ...coloMatrices(j.current).map(consoleColoMatrix)].join("\n");
      emit(text, flags.out);
    });
}
