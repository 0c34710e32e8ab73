import { readFileSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import type { z } from "zod";
import { inputError } from "./errors";

// Every file a user edits (thresholds, regression rules, baselines) is read the same way: parsed,
// validated with its zod schema, and on the first problem rejected with one line that names the
// file and the field — `thresholds/network/echo.json: operations.echo.ping.p95: expected number`.

/** The path as a user would type it: relative to the project when inside it, absolute otherwise. */
export function shownPath(path: string, root: string = process.cwd()): string {
  const inside = relative(root, path);
  return inside && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path;
}

export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

export function loadJsonFile<S extends z.ZodType>(path: string, schema: S, root?: string): z.infer<S> {
  const shown = shownPath(path, root);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw inputError(`${shown}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw inputError(`${shown}: ${firstIssue(parsed.error)}`);
  return parsed.data;
}
