import { existsSync } from "node:fs";
import { loadJsonFile } from "../json-file";
import { ThresholdsFileSchema, type ThresholdsFile } from "./schema";

/** Reads and validates a thresholds file; null when the scenario has none. Throws a one-line input error. */
export function loadThresholds(path: string, root: string = process.cwd()): ThresholdsFile | null {
  return existsSync(path) ? loadJsonFile(path, ThresholdsFileSchema, root) : null;
}

