import { Command } from "commander";
import { PerfdoError } from "../errors";
import { ensureK6, findK6, installHelp } from "../k6/provision";
import { pinnedK6Version } from "../k6/version";

// `perfdo provision` (npm install runs it) and `perfdo k6-version`: the pinned k6.

export function provisionCommand(root: string): Command {
  return new Command("provision")
    .exitOverride()
    .description("make the pinned k6 available (K6_BIN, PATH, or go install into .tools/bin)")
    .option("--soft", "on failure print how to install k6 but exit 0 (used by npm install)", false)
    .action((flags: { soft: boolean }) => {
      try {
        const k6 = ensureK6(root);
        console.log(`perfdo: k6 ${k6.version} ready (${k6.source}: ${k6.bin})`);
      } catch (err) {
        if (!flags.soft || !(err instanceof PerfdoError)) throw err;
        console.error(`perfdo: warning: ${err.message}`);
      }
    });
}

export function k6VersionCommand(root: string): Command {
  return new Command("k6-version")
    .exitOverride()
    .description("print the pinned k6 version and the k6 that would be used")
    .action(() => {
      const pinned = pinnedK6Version(root);
      const found = findK6(root);
      console.log(found ? `k6 ${pinned}: ${found.bin} (${found.source})` : `k6 ${pinned}: not installed\n${installHelp(pinned)}`);
    });
}
