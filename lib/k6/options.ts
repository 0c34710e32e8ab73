// Assembles a scenario's `export const options`: the profile (from env), the target's `hosts`
// pinning, and the thresholds compiled at build time. Runs once per VU at init.

import type { Options } from "k6/options";
import { iterationCeilingMs, profileFromEnv, type ProfileName, type ProfileOverrides } from "./profile";
import { k6Hosts, targetFromEnv, type Target } from "./target";

/** Thresholds compiled from `thresholds/<scenario>.json` by esbuild.config.mjs (`define`). */
declare const __PERFDO_THRESHOLDS__: Record<string, Array<string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }>>;
/** The scenario's name (its path under scenarios/ without .ts), injected at build time. */
declare const __PERFDO_SCENARIO__: string;

export const SCENARIO_NAME: string = __PERFDO_SCENARIO__;
export const target: Target = targetFromEnv(__ENV);

export interface ScenarioConfig {
  /** The profile used when neither the CLI nor PERFDO_PROFILE names one. */
  profile?: ProfileName;
  /** This scenario's own defaults (a heavy scenario's lower rate); the CLI and env override them. */
  defaults?: ProfileOverrides;
}

export function scenarioOptions(config: ScenarioConfig = {}): Options {
  const { name, scenario } = profileFromEnv(__ENV, config.profile ?? "sustain", config.defaults, {
    ceilingMs: iterationCeilingMs(__PERFDO_THRESHOLDS__),
  });
  const options: Options = {
    scenarios: { [name]: { ...scenario, tags: { profile: name } } } as Options["scenarios"],
    thresholds: __PERFDO_THRESHOLDS__ as Options["thresholds"],
    // Percentiles the summary prints and that results cross-check against.
    summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"],
    tags: { scenario_name: SCENARIO_NAME, target: target.kind === "local" ? "local" : target.baseDomain },
    userAgent: "perfdo-harness/k6",
  };
  const hosts = k6Hosts(target);
  if (hosts) options.hosts = hosts as Options["hosts"];
  return options;
}
