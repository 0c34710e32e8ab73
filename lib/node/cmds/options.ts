import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { CARRIERS, splitList } from "../../k6/target";

// Options more than one command takes, declared once: each command's own module adds them.

/** `--results-dir <dir>`, the history folder (default results/). */
export const resultsDirOption = (command: Command, root: string, help = "where history lines go"): Command => command.option("--results-dir <dir>", help, resolve(root, "results"));

/** `-t, --target <target>` with this command's default and help. */
export const targetOption = (command: Command, fallback: string, help: string): Command => command.option("-t, --target <target>", help, fallback);

/**
 * `--allow <hosts>` and `--namespace-in <carrier>`, which complete a URL target: hosts allowed to
 * receive load besides loopback and perf.do, and how a request names its namespace.
 */
export const targetUrlOptions = (command: Command): Command =>
  command
    .option("--allow <hosts>", "hosts (names or IPs, comma-separated) allowed to receive load besides loopback and perf.do; adds to PERFDO_ALLOWED_DOMAINS")
    .addOption(new Option("--namespace-in <carrier>", "how a request names its namespace on a URL target (default: subdomain on perf.do, path on workers.dev, none elsewhere)").choices([...CARRIERS]));

/** The env a command's target is read with: PERFDO_ALLOWED_DOMAINS plus `--allow`, and `--namespace-in` as PERFDO_NAMESPACE_IN. */
export function targetEnv(flags: { allow?: string; namespaceIn?: string }, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const allowed = [...splitList(env.PERFDO_ALLOWED_DOMAINS), ...splitList(flags.allow)];
  const out: NodeJS.ProcessEnv = { ...env };
  if (allowed.length > 0) out.PERFDO_ALLOWED_DOMAINS = [...new Set(allowed)].join(",");
  if (flags.namespaceIn) out.PERFDO_NAMESPACE_IN = flags.namespaceIn;
  return out;
}
