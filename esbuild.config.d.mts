// Types for esbuild.config.mjs, which stays plain JS so `node esbuild.config.mjs` works as is.
import type { K6Thresholds } from "./lib/node/thresholds/compile";

export interface BuiltScenario {
  name: string;
  script: string;
  /** The thresholds file compiled in (relative to the root), or null when the scenario has none. */
  thresholds: string | null;
  compiled: K6Thresholds;
}

export function buildAll(options?: { root?: string; names?: readonly string[]; thresholdsDir?: string }): Promise<{ scenarios: BuiltScenario[]; worker: string }>;
export function buildWorker(root?: string): Promise<string>;
export const k6BuildOptions: import("esbuild").BuildOptions;
export const workerBuildOptions: import("esbuild").BuildOptions;
