import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { inputError } from "../errors";

// Scenario names are their paths under scenarios/ without ".ts": scenarios/network/echo.ts is
// "network/echo", built to build/network/echo.js, judged by thresholds/network/echo.json.

export interface ScenarioEntry {
  name: string;
  source: string;
  script: string;
  thresholds: string;
  /** A k6 script of the user's own (run/own-script.ts): its own options and thresholds, bundled beside it. */
  own?: true;
}

/**
 * Where a scenario's script is built: build/<name>.js, or, with thresholds from another folder
 * (--thresholds-dir), build/thresholds-<hash of that folder>/<name>.js, so a run with other
 * thresholds never rewrites the script a concurrent run with the repository's is using.
 */
export function scenarioEntry(root: string, name: string, thresholdsDir: string = join(root, "thresholds")): ScenarioEntry {
  const own = resolve(thresholdsDir) === resolve(root, "thresholds");
  const dir = own ? join(root, "build") : join(root, "build", `thresholds-${createHash("sha256").update(resolve(thresholdsDir)).digest("hex").slice(0, 8)}`);
  return {
    name,
    source: join(root, "scenarios", `${name}.ts`),
    script: join(dir, `${name}.js`),
    thresholds: join(thresholdsDir, `${name}.json`),
  };
}

export function listScenarios(root: string, thresholdsDir?: string): ScenarioEntry[] {
  const dir = join(root, "scenarios");
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => relative(dir, join(dir, file)).split(sep).join("/").replace(/\.ts$/, ""))
    .sort()
    .map((name) => scenarioEntry(root, name, thresholdsDir));
}

/** Accepts "network/echo", a unique basename ("echo"), or a path to the source or built script. */
export function resolveScenarioName(input: string, known: readonly string[]): string {
  const cleaned = input
    .replace(/\\/g, "/")
    .replace(/^\.\//, "")
    .replace(/^(scenarios|build)\//, "")
    .replace(/\.(ts|js)$/, "");
  if (known.includes(cleaned)) return cleaned;
  const byBase = known.filter((name) => name.split("/").pop() === cleaned);
  if (byBase.length === 1) return byBase[0] as string;
  if (byBase.length > 1) throw inputError(`scenario "${input}" is ambiguous: ${byBase.join(", ")}`);
  throw inputError(`unknown scenario "${input}" (known: ${known.join(", ") || "none"})`);
}

export function findScenarios(root: string, inputs: readonly string[], thresholdsDir?: string): ScenarioEntry[] {
  const known = listScenarios(root).map((s) => s.name);
  return inputs.map((input) => scenarioEntry(root, resolveScenarioName(input, known), thresholdsDir));
}

/**
 * Scenarios that run on the local Worker only declare it in their source (`export const runsOn =
 * "local";`, e.g. perf/coldstart, whose seeding hooks no deployment has): a suite against any other
 * target leaves them out (`perfdo scenarios --target`).
 */
export function isLocalOnly(entry: ScenarioEntry): boolean {
  return /^export const runsOn = "local";$/m.test(readFileSync(entry.source, "utf8"));
}
