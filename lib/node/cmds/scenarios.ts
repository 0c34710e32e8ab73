import { Command } from "commander";
import { isLocalOnly, listScenarios } from "../build/catalog";
import { targetEnv, targetUrlOptions } from "./options";
import { targetOf } from "./script-env";

// `perfdo scenarios`: the scenario names, one a line; with --target, those that can run there.

export function scenariosCommand(root: string): Command {
  return targetUrlOptions(
    new Command("scenarios")
      .exitOverride()
      .description("list scenario names")
      .option("-t, --target <target>", "only those that can run on this target (perf/coldstart needs the local Worker)"),
  ).action((flags: { target?: string; allow?: string; namespaceIn?: string }) => {
    const target = flags.target === undefined ? null : targetOf(flags.target, targetEnv(flags));
    const local = target === null || target.address !== undefined; // the local Worker: only it has an address
    for (const s of listScenarios(root)) if (local || !isLocalOnly(s)) console.log(s.name);
  });
}
