import { relative, resolve } from "node:path";
import { Command } from "commander";
import { ingest } from "../run/ingest";
import { resultsTable } from "../results/table";
import { resultsDirOption } from "./options";

// `perfdo ingest <raw…>`: merge raw outputs made elsewhere (k6-operator pods, execution segments).

export function ingestCommand(root: string): Command {
  const command = new Command("ingest")
    .exitOverride()
    .description("merge k6 raw outputs made elsewhere (k6-operator pods, execution segments) into results")
    .argument("<raw-outputs...>", "raw outputs, one per process: k6 --out json (.json, .json.gz) or --out perfdo (.perfdo, .perfdo.gz)")
    .requiredOption("-s, --scenario <name>", "the scenario that produced them (for its thresholds and name)")
    .option("--summary <files...>", "their --summary-export files (for k6's test-run duration)", []);
  command.option("-t, --target <target>", 'where the load went: "local" or a base domain like perf.do (default: what the capture says; a capture that says nothing needs it)');
  resultsDirOption(command, root);
  return command
    .option("-p, --profile <name>", "load profile (default: the k6 scenario tag in the samples)")
    .option("--k6-version <v>", "the k6 version that produced them", "unknown")
    .option("--no-results", "print only, do not append to results/")
    .action(async (files: string[], flags: { scenario: string; summary: string[]; target?: string; profile?: string; k6Version: string; results: boolean; resultsDir: string }) => {
      const { results, historyFile, problems } = await ingest({
        root,
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
      for (const problem of problems) console.log(`warning: ${problem}`);
      if (historyFile) console.log(`${results.length} result line(s) appended to ${relative(process.cwd(), historyFile)}`);
    });
}
