import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { inputError } from "../errors";
import { ThresholdsFileSchema, type ThresholdsFile } from "./schema";

/** "operations.echo.ping.p95: expected number, received string" — the first problem, one line. */
function firstIssue(error: import("zod").ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Reads and validates a thresholds file; null when the scenario has none. Throws a one-line input error. */
export function loadThresholds(path: string, root: string = process.cwd()): ThresholdsFile | null {
  if (!existsSync(path)) return null;
  const inside = relative(root, path);
  const shown = inside && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw inputError(`${shown}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = ThresholdsFileSchema.safeParse(raw);
  if (!parsed.success) throw inputError(`${shown}: ${firstIssue(parsed.error)}`);
  return parsed.data;
}
