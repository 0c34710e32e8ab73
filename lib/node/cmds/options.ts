import { resolve } from "node:path";
import type { Command } from "commander";

// Options more than one command takes, declared once: each command's own module adds them.

/** `--results-dir <dir>`, the history folder (default results/). */
export const resultsDirOption = (command: Command, root: string, help = "where history lines go"): Command => command.option("--results-dir <dir>", help, resolve(root, "results"));

/** `-t, --target <target>` with this command's default and help. */
export const targetOption = (command: Command, fallback: string, help: string): Command => command.option("-t, --target <target>", help, fallback);
