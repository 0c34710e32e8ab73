import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { firstIssue } from "../json-file";
import { BenchmarkResultSchema, type BenchmarkResult } from "../results/schema";

// results/YYYY-MM-DD-benchmarks.jsonl is history: only ever appended to, never rewritten.

export function historyFile(resultsDir: string, at: Date): string {
  return join(resultsDir, `${at.toISOString().slice(0, 10)}-benchmarks.jsonl`);
}

/** Serialises results, validating each first; throws (and so writes nothing) if any is invalid. */
export function serialiseResults(results: readonly BenchmarkResult[]): string {
  return results
    .map((result, i) => {
      const parsed = BenchmarkResultSchema.safeParse(result);
      if (!parsed.success) throw new Error(`result ${i} (${result.name}): ${firstIssue(parsed.error)}`);
      return `${JSON.stringify(parsed.data)}\n`;
    })
    .join("");
}

function appendLocked(file: string, text: string): void {
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
    let written = 0;
    try {
      written = writeSync(fd, buffer);
    } finally {
      // Under the lock nobody else appended since `size`: a partial write can be taken back whole.
      if (written !== buffer.length) ftruncateSync(fd, size);
    }
    if (written !== buffer.length) throw new Error(`${file}: short write (${written} of ${buffer.length} bytes), nothing appended`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends every result as one line, all in one write, under an advisory lock on the file: two runs
 * finishing at once cannot interleave, and a run's lines land whole or not at all. If a crashed
 * writer left the file without a final newline, a newline goes first so the torn line stays alone
 * (readers report it) instead of corrupting ours.
 */
export async function appendResults(resultsDir: string, results: readonly BenchmarkResult[], at: Date): Promise<string> {
  const file = historyFile(resultsDir, at);
  if (results.length === 0) return file;
  const text = serialiseResults(results);
  mkdirSync(resultsDir, { recursive: true });
  closeSync(openSync(file, "a")); // proper-lockfile locks existing files only
  const release = await lockfile.lock(file, { retries: { retries: 50, minTimeout: 20, maxTimeout: 200 }, stale: 30_000 });
  try {
    appendLocked(file, text);
  } finally {
    await release();
  }
  return file;
}
