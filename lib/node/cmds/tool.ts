import { spawnSync } from "node:child_process";
import { Command } from "commander";
import { EXIT, inputError } from "../errors";
import { GO_TOOLS, ensureGoTool, isGoTool } from "../tools/go-tool";

// `perfdo tool <name> [args…]`: runs one of the project's pinned Go tools, building it on first use
// (lib/node/tools/go-tool.ts). Its exit code is the tool's own, so scripts can branch on it.

export function toolCommand(root: string): Command {
  return new Command("tool")
    .exitOverride()
    .description(`run a pinned Go tool (${GO_TOOLS.join(", ")}) from tools/, building it into .tools/bin on first use; exits with the tool's code`)
    .argument("<name>", GO_TOOLS.join(" | "))
    .argument("[args...]", "the tool's own arguments (after --)")
    .allowUnknownOption()
    .action((name: string, args: string[]) => {
      if (!isGoTool(name)) throw inputError(`unknown tool "${name}" (one of ${GO_TOOLS.join(", ")})`);
      const bin = ensureGoTool(root, name);
      const res = spawnSync(bin, args, { stdio: "inherit", cwd: process.cwd() });
      process.exitCode = res.status ?? EXIT.internal;
    });
}
