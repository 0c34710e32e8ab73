import { relative, resolve } from "node:path";
import { Command } from "commander";
import { buildAll } from "../../../esbuild.config.mjs";
import { findScenarios } from "../build/catalog";

// `perfdo build [scenarios…]`: only bundle (all scenarios, or the named ones) and the Worker.

export function buildCommand(root: string): Command {
  return new Command("build")
    .exitOverride()
    .description("bundle scenarios/**/*.ts into build/*.js (thresholds compiled in) and the reference Worker")
    .argument("[scenarios...]", "scenario names (default: all)")
    .option("--thresholds-dir <dir>", "use thresholds from this folder instead of thresholds/")
    .action(async (names: string[], flags: { thresholdsDir?: string }) => {
      const selected = names.length > 0 ? findScenarios(root, names).map((s) => s.name) : undefined;
      const thresholdsDir = flags.thresholdsDir ? resolve(flags.thresholdsDir) : undefined;
      const { scenarios, worker } = await buildAll({ root, names: selected, thresholdsDir });
      for (const s of scenarios) {
        console.log(`built ${relative(root, s.script)}${s.thresholds ? ` (thresholds: ${s.thresholds})` : " (no thresholds file)"}`);
      }
      console.log(`built ${relative(root, worker)}`);
    });
}
