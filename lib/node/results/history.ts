import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BenchmarkResultSchema, type BenchmarkResult } from "./schema";

// results/YYYY-MM-DD-benchmarks.jsonl is history: only ever appended to, never rewritten.

export function historyFile(resultsDir: string, at: Date): string {
  return join(resultsDir, `${at.toISOString().slice(0, 10)}-benchmarks.jsonl`);
}

/** Serialises results, validating each first; throws (and so writes nothing) if any is invalid. */
export function serialiseResults(results: readonly BenchmarkResult[]): string {
  return results
    .map((result, i) => {
      const parsed = BenchmarkResultSchema.safeParse(result);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`result ${i} (${result.name}): ${issue?.path.join(".") || "line"}: ${issue?.message ?? "invalid"}`);
      }
      return `${JSON.stringify(parsed.data)}\n`;
    })
    .join("");
}

/**
 * Appends every result as one line in a single O_APPEND write, so concurrent runs cannot interleave
 * and a run's lines land whole or not at all. If a crashed writer left the file without a final
 * newline, a newline goes first so the torn line stays alone (and is reported by readers) instead
 * of corrupting ours.
 */
export function appendResults(resultsDir: string, results: readonly BenchmarkResult[], at: Date): string {
  const file = historyFile(resultsDir, at);
  if (results.length === 0) return file;
  const text = serialiseResults(results);
  mkdirSync(resultsDir, { recursive: true });
  const fd = openSync(file, "a+");
  try {
    const size = fstatSync(fd).size;
    let prefix = "";
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = "\n";
    }
    const buffer = Buffer.from(prefix + text, "utf8");
    const written = writeSync(fd, buffer);
    if (written !== buffer.length) throw new Error(`${file}: short write (${written} of ${buffer.length} bytes)`);
  } finally {
    closeSync(fd);
  }
  return file;
}
