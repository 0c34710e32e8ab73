import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { firstIssue } from "../json-file";
import { BenchmarkResultSchema, type BenchmarkResult } from "../results/schema";

// Reads the history (results/*-benchmarks.jsonl). Every line is validated; a bad line is reported
// as `file:line: reason` and skipped, the rest still count. Reading never writes.

export const HISTORY_FILE = /^\d{4}-\d{2}-\d{2}-benchmarks\.jsonl$/;

export interface History {
  results: BenchmarkResult[];
  /** `file:line: reason`, one per rejected line. */
  problems: string[];
}

export function parseHistoryText(text: string, file: string): History {
  const results: BenchmarkResult[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `${file}:${index + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      problems.push(`${where}: not valid JSON`);
      return;
    }
    const parsed = BenchmarkResultSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(`${where}: ${firstIssue(parsed.error)}`);
      return;
    }
    results.push(parsed.data);
  });
  return { results, problems };
}

/** All history files of `dir` in date order (or just `files`), results in file order. */
export function readHistory(dir: string, files?: readonly string[]): History {
  const paths = files ?? (existsSync(dir) ? readdirSync(dir).filter((f) => HISTORY_FILE.test(f)).sort().map((f) => join(dir, f)) : []);
  const all: History = { results: [], problems: [] };
  for (const path of paths) {
    const { results, problems } = parseHistoryText(readFileSync(path, "utf8"), path);
    all.results.push(...results);
    all.problems.push(...problems);
  }
  return all;
}

/** Runs in history order (oldest first), each with its lines. */
export function groupByRun(results: readonly BenchmarkResult[]): Map<string, BenchmarkResult[]> {
  const runs = new Map<string, BenchmarkResult[]>();
  for (const r of results) {
    const list = runs.get(r.runId);
    if (list) list.push(r);
    else runs.set(r.runId, [r]);
  }
  return runs;
}
