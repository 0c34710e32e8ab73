import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { baselineCommand } from "./cmds/baseline";
import { buildCommand } from "./cmds/build";
import { cloudCommand } from "./cmds/cloud";
import { compareCommand } from "./cmds/compare";
import { deployCommand } from "./cmds/deploy";
import { ingestCommand } from "./cmds/ingest";
import { k8sCommand } from "./cmds/k8s";
import { k6VersionCommand, provisionCommand } from "./cmds/provision";
import { claimsCommand } from "./cmds/claims";
import { reportCommand } from "./cmds/report";
import { runCommand } from "./cmds/run";
import { scenariosCommand } from "./cmds/scenarios";
import { serveCommand } from "./cmds/serve";
import { sweepCommand } from "./cmds/sweep";
import { toolCommand } from "./cmds/tool";
import { EXIT, PerfdoError } from "./errors";

// The CLI: one module per command in cmds/ (its flags and action); this file only wires them and
// maps errors to the exit codes (docs/troubleshooting.md, "Exit codes").

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const COMMANDS = [
  buildCommand, runCommand, ingestCommand, serveCommand, provisionCommand, compareCommand, reportCommand,
  cloudCommand, k8sCommand, sweepCommand, claimsCommand, deployCommand, toolCommand, baselineCommand, scenariosCommand, k6VersionCommand,
] as const;

export function program(): Command {
  const cli = new Command("perfdo")
    .description("Load-testing harness for perf.do: TypeScript k6 scenarios, a local reference Worker, BenchmarkResult history.")
    .exitOverride()
    .enablePositionalOptions(); // a subcommand's options are its own (k8s collect), as commander requires of every ancestor
  for (const command of COMMANDS) cli.addCommand(command(ROOT));
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
