// A scenario's `export const options`, and the target it sends load to. Runs at every init: once
// in the init run k6 reads options from (__VU 0), then once per VU.

import type { Options } from "k6/options";
import type { ScenarioConfig } from "./options-build";
import { targetFromEnv, type Target } from "./target";

export type { ScenarioConfig } from "./options-build";

/** The scenario's name (its path under scenarios/ without .ts), injected at build time. */
declare const __PERFDO_SCENARIO__: string;
/** esbuild bundles a `require`d module behind a lazy initializer, run on first require only. */
declare function require(id: string): unknown;

export const SCENARIO_NAME: string = __PERFDO_SCENARIO__;
// Checked once, in the init run k6 reads options from: a bad target fails the run there, before any VU.
export const target: Target = targetFromEnv(__ENV, __VU !== 0);

/**
 * k6 reads a script's options once, from an init run with __VU 0, and gives each VU those options;
 * a VU's own init needs none. So only that run loads the profile code: instantiating it in every
 * VU cost ~90 KB of k6 memory per VU (npm run bench:overhead).
 */
export function scenarioOptions(config: ScenarioConfig = {}): Options {
  if (__VU !== 0) return {};
  const { buildOptions } = require("./options-build") as typeof import("./options-build");
  return buildOptions(config, target);
}
