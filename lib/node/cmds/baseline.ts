import { relative, resolve } from "node:path";
import { Command } from "commander";
import { baselinePath, makeBaseline, saveBaseline } from "../compare/baseline";
import { runsDir } from "../compare/judge";
import { samplesOf } from "../compare/select";
import { judgeFrom } from "./judged";
import { resultsDirOption } from "./options";

// `perfdo baseline save`: runs, with their samples, saved under a name for `compare --baseline`.

export function baselineCommand(root: string): Command {
  const baseline = new Command("baseline").exitOverride().description("saved baselines for `perfdo compare --baseline`");
  const save = new Command("save")
    .exitOverride()
    .description("save runs (default: the newest of every scenario) with their samples as a named baseline");
  resultsDirOption(save, root, "the history folder");
  baseline.addCommand(
    save
      .option("--name <name>", "baseline name (results/baselines/<name>.json) or a path", "default")
    .option("--run <runIds...>", "the runs to save")
    .action((flags: { name: string; run?: string[]; resultsDir: string }) => {
      const j = judgeFrom(root, { ...flags, format: "console" });
      const samples = samplesOf(runsDir(root), j.current);
      const file = makeBaseline(flags.name.replace(/\.json$/, "").split("/").pop() as string, j.current, samples);
      const path = baselinePath(resolve(flags.resultsDir), flags.name);
      saveBaseline(path, file);
      console.log(`saved baseline ${relative(process.cwd(), path)}: ${file.results.length} results from ${file.runIds.length} run(s), samples for ${Object.keys(file.samples).length} benchmarks`);
    }),
  );
  return baseline;
}
