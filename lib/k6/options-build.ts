// Builds a scenario's k6 options: the profile (from env), the target's `hosts` pinning, and the
// thresholds compiled at build time. Loaded only in the init run k6 reads options from (__VU 0),
// through options.ts, so VUs never instantiate the profile code (see there).

import type { Options } from "k6/options";
import { Trend } from "k6/metrics";
import { droppedCountThreshold, iterationCeilingMs, profileFromEnv, type ProfileOverrides, type ProfileName } from "./profile";
import { k6Hosts, resolveHosts, type Target } from "./target";
import { parseZones } from "./cloud";

/** The scenario's name (its path under scenarios/ without .ts), injected at build time. */
declare const __PERFDO_SCENARIO__: string;

/** Thresholds compiled from `thresholds/<scenario>.json` by esbuild.config.mjs (`define`). */
declare const __PERFDO_THRESHOLDS__: Record<string, Array<string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }>>;

export interface ScenarioConfig {
  /** The profile used when neither the CLI nor PERFDO_PROFILE names one. */
  profile?: ProfileName;
  /** This scenario's own defaults (a heavy scenario's lower rate); the CLI and env override them. */
  defaults?: ProfileOverrides;
  /** Other k6 options of the scenario's own, e.g. a longer `setupTimeout` for a large seed. */
  extra?: Pick<Options, "setupTimeout" | "teardownTimeout">;
}

export function buildOptions(config: ScenarioConfig, target: Target): Options {
  const { name, scenario } = profileFromEnv(__ENV, config.profile ?? "sustain", config.defaults, {
    ceilingMs: iterationCeilingMs(__PERFDO_THRESHOLDS__),
  });
  // Measured operations' latency limits are compiled onto perfdo_latency (thresholds/compile.ts),
  // and k6 refuses a threshold on a metric the script never created: create it here, in the one
  // init that reads options, for scripts that measure nothing themselves (same name and kind as
  // lib/k6/measure.ts, so k6 hands back the one metric either way).
  if (Object.keys(__PERFDO_THRESHOLDS__).some((key) => key.startsWith("perfdo_latency"))) new Trend("perfdo_latency", true);
  // The dropped-iterations limit is a share of what this run offers; k6 counts, so it gets the count.
  const thresholds = { ...__PERFDO_THRESHOLDS__ };
  // Limits on the corrected latency are the harness's to judge (thresholds/compile.ts): k6 has no such metric.
  for (const key of Object.keys(thresholds)) if (key.startsWith("perfdo_corrected")) delete thresholds[key];
  if (thresholds.dropped_iterations) thresholds.dropped_iterations = thresholds.dropped_iterations.map((t) => (typeof t === "string" ? droppedCountThreshold(t, scenario) : t));
  const options: Options = {
    // No run-wide tags: every tag is paid on every sample (npm run bench:overhead). The profile is
    // the k6 scenario's name, which every sample carries as its `scenario` system tag.
    scenarios: { [name]: scenario } as Options["scenarios"],
    thresholds: thresholds as Options["thresholds"],
    // Percentiles the summary prints and that results cross-check against.
    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"],
    userAgent: "perfdo-harness/k6",
    ...config.extra,
  };
  const hosts = __ENV.PERFDO_RESOLVE ? resolveHosts(target, __ENV.PERFDO_RESOLVE) : k6Hosts(target);
  if (hosts) options.hosts = hosts as Options["hosts"];
  // Grafana Cloud k6 (perfdo cloud): the test's name, project and load-zone distribution.
  const zones = __ENV.PERFDO_CLOUD_ZONES;
  if (zones) {
    const cloud: Record<string, unknown> = { name: __ENV.PERFDO_CLOUD_NAME || `perfdo ${__PERFDO_SCENARIO__}`, distribution: parseZones(zones) };
    const project = Number(__ENV.K6_CLOUD_PROJECT_ID);
    if (Number.isInteger(project) && project > 0) cloud.projectID = project;
    (options as Record<string, unknown>).cloud = cloud;
  }
  return options;
}
