import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { buildAll } from "../../../esbuild.config.mjs";
import { parseZones, type Distribution } from "../../k6/cloud";
import type { ProfileName } from "../../k6/profile";
import { findScenarios } from "../build/catalog";
import { EXIT, PerfdoError, inputError } from "../errors";
import { ensureK6 } from "../k6/provision";
import { K6_THRESHOLDS_FAILED, startK6 } from "../k6/run";
import { awaitSegments, segmentFlags, segmentsOf, type Segment } from "../k6/segments";
import { resultsTable } from "../results/table";
import { ingest } from "../run/ingest";
import { cloudLogin, missingLogin } from "../cloud/login";
import { startLocalTarget } from "../target/local";
import { resultsDirOption, targetOption } from "./options";
import { addProfileOptions, overridesFrom, scriptEnv, targetOf } from "./script-env";

// `perfdo cloud <scenario> --zones zone=percent,…`: a Grafana Cloud k6 run from several load zones.
// Zones and percentages are checked, and the token looked for, before anything is built or sent.
// The script gets `options.cloud` (name, projectID, distribution) from env (lib/k6/options-build.ts),
// and every request a `load_zone` tag from K6_CLOUDRUN_LOAD_ZONE, so results come back one line
// per operation per zone. `--archive` writes the k6 archive that would be uploaded (no token needed);
// `--rehearse` runs one local k6 per zone, with that zone's share as an execution segment and its
// K6_CLOUDRUN_LOAD_ZONE, against the local Worker, and ingests them (no token, nothing sent).

export const TOKEN_ENV = "K6_CLOUD_TOKEN";

interface CloudFlags {
  zones: string;
  target: string;
  profile?: ProfileName;
  name?: string;
  local: boolean;
  archive?: string;
  rehearse: boolean;
  results: boolean;
  resultsDir: string;
}

/** Each zone's share of the load as a k6 execution segment, in the distribution's order. */
export function zoneSegments(distribution: Distribution): Array<{ loadZone: string } & Segment> {
  const zones = Object.values(distribution);
  return segmentsOf(zones.map((z) => z.percent)).map((s, i) => ({ loadZone: (zones[i] as { loadZone: string }).loadZone, ...s }));
}

export function cloudCommand(root: string): Command {
  const command = new Command("cloud")
    .exitOverride()
    .description("run a scenario on Grafana Cloud k6 from several load zones (needs K6_CLOUD_TOKEN); --archive and --rehearse work offline")
    .argument("<scenario>", "scenario name, e.g. perf/shard")
    .requiredOption("--zones <zones>", "load zones and their percent, summing to 100, e.g. amazon:us:ashburn=50,amazon:de:frankfurt=50")
    .option("--name <name>", "the test's name in Grafana Cloud k6 (default: perfdo <scenario>)")
    .option("--local", "k6 cloud run --local-execution: load from this machine, results streamed to the cloud", false)
    .option("--archive <file>", "write the k6 archive that would be uploaded (options.cloud included) and stop; no token needed")
    .option("--rehearse", "run one local k6 per zone (its share as an execution segment, K6_CLOUDRUN_LOAD_ZONE set) against the local Worker, then ingest", false)
    .option("--no-results", "with --rehearse: print only, do not append to results/")
;
  targetOption(command, "perf.do", "where load goes: a base domain like perf.do");
  resultsDirOption(command, root, "with --rehearse: where history lines go");
  addProfileOptions(command);
  return command.action(async (scenarioName: string, flags: CloudFlags) => {
    // Everything checkable is checked before anything is built, started or sent.
    let distribution: Distribution;
    try {
      distribution = parseZones(flags.zones);
    } catch (err) {
      throw inputError((err as Error).message);
    }
    const [entry] = findScenarios(root, [scenarioName]);
    if (!entry) throw inputError(`unknown scenario "${scenarioName}"`);
    const target = targetOf(flags.rehearse ? "local" : flags.target);
    const offline = flags.rehearse || flags.archive !== undefined;
    if (target.kind === "local" && !flags.rehearse) throw inputError("Grafana Cloud k6's load zones cannot reach this machine's loopback Worker: give --target <domain>, or --rehearse");
    // k6 v2 refuses a cloud run without a token and a stack (lib/node/cloud/login.ts): say so first, in one line.
    const missing = offline ? null : missingLogin(cloudLogin());
    if (missing) throw inputError(missing);

    const env: Record<string, string> = {
      ...scriptEnv({ profile: flags.profile, overrides: overridesFrom(flags as unknown as Record<string, unknown>), target }),
      PERFDO_CLOUD_ZONES: flags.zones,
    };
    if (flags.name) env.PERFDO_CLOUD_NAME = flags.name;
    if (process.env.K6_CLOUD_PROJECT_ID) env.K6_CLOUD_PROJECT_ID = process.env.K6_CLOUD_PROJECT_ID;
    await buildAll({ root, names: [entry.name] });
    const k6 = ensureK6(root);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);

    if (flags.archive !== undefined) {
      const out = resolve(flags.archive);
      const res = spawnSync(k6.bin, ["archive", ...envArgs, "-O", out, entry.script], { encoding: "utf8" });
      if (res.status !== 0) throw new PerfdoError(`k6 archive failed: ${(res.stderr || "").trim().split("\n").pop()}`, EXIT.runFailed);
      console.log(`wrote ${relative(process.cwd(), out)} (k6 archive; options.cloud.distribution: ${Object.values(distribution).map((z) => `${z.loadZone} ${z.percent}%`).join(", ")})`);
      return;
    }

    if (flags.rehearse) {
      const local = await startLocalTarget(join(root, "build", "deploy", "worker.mjs"));
      try {
        const dir = mkdtempSync(join(tmpdir(), "perfdo-cloud-rehearse-"));
        const zones = zoneSegments(distribution);
        console.error(`perfdo: rehearsing ${zones.length} load zone(s) of ${entry.name} against the local Worker on ${local.address}`);
        const runs = zones.map((z, i) =>
          startK6({
            bin: k6.bin, script: entry.script, quiet: true,
            env: { ...env, PERFDO_LOCAL_ADDRESS: local.address, K6_CLOUDRUN_LOAD_ZONE: z.loadZone },
            rawOutput: join(dir, `zone-${i}.${k6.perfdoOutput ? "perfdo" : "json.gz"}`),
            summaryExport: join(dir, `zone-${i}.summary.json`),
            extraArgs: segmentFlags(z),
          }),
        );
        // k6 reads -e values as __ENV; K6_CLOUDRUN_LOAD_ZONE too (the cloud sets it as a real env var).
        const { failed } = await awaitSegments(runs);
        if (failed.length > 0) throw new PerfdoError(`${failed.length} zone rehearsal(s) failed (k6 exit ${failed.join(", ")})`, EXIT.runFailed);
        const { results, historyFile, problems } = await ingest({
          root, scenario: entry.name, target: "local", profile: flags.profile,
          recordedBy: "cloud rehearse", rehearsal: "perfdo cloud --rehearse: each load zone run as a local k6 against the local Worker", resultsDir: resolve(flags.resultsDir), writeResults: flags.results, k6Version: k6.version,
          rawOutputs: zones.map((_, i) => join(dir, `zone-${i}.${k6.perfdoOutput ? "perfdo" : "json.gz"}`)),
          summaries: zones.map((_, i) => join(dir, `zone-${i}.summary.json`)),
        });
        console.log(resultsTable(results));
        for (const problem of problems) console.log(`warning: ${problem}`);
        if (historyFile) console.log(`${results.length} result line(s) appended to ${relative(process.cwd(), historyFile)}`);
      } finally {
        await local.stop();
      }
      return;
    }

    // The real thing: k6 uploads the archive (or, with --local, runs here and streams to the cloud).
    const args = ["cloud", "run", ...(flags.local ? ["--local-execution"] : []), ...envArgs, entry.script];
    // The archive carries -e values to Grafana's servers and their runners: the target's token stays out.
    if (process.env.PERFDO_TOKEN) console.error("perfdo: PERFDO_TOKEN is not put in the archive; the cloud's runners read it from a Grafana Cloud k6 environment variable of that name (Settings → Environment variables)");
    console.error(`perfdo: k6 ${args.join(" ")}`);
    const res = spawnSync(k6.bin, args, { stdio: "inherit" });
    if (res.status === K6_THRESHOLDS_FAILED) process.exitCode = EXIT.thresholds;
    else if (res.status !== 0) throw new PerfdoError(`k6 cloud run failed (exit ${res.status})`, EXIT.runFailed);
  });
}
