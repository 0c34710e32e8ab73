import { Command } from "commander";
import { listScenarios } from "../build/catalog";

// `perfdo scenarios`: the scenario names, one a line.

export function scenariosCommand(root: string): Command {
  return new Command("scenarios")
    .exitOverride()
    .description("list scenario names")
    .action(() => {
      for (const s of listScenarios(root)) console.log(s.name);
    });
}
