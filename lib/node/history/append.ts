import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { EXIT, PerfdoError } from "../errors";
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

/** Appends `text`; returns how many bytes a torn last line had (kept apart on its own line), or 0. */
function appendLocked(file: string, text: string): number {
  const fd = openSync(file, "a+");
  try {
    const size = fstatSync(fd).size;
    let prefix = "";
    let torn = 0;
    if (size > 0) {
      const tail = Buffer.alloc(Math.min(size, 1 << 20));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      if (tail[tail.length - 1] !== 0x0a) {
        prefix = "\n";
        const lastNewline = tail.lastIndexOf(0x0a);
        torn = lastNewline < 0 ? tail.length : tail.length - lastNewline - 1;
      }
    }
    const buffer = Buffer.from(prefix + text, "utf8");
    let written = 0;
    try {
      written = writeSync(fd, buffer);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOSPC" || code === "EDQUOT") throw new PerfdoError(`${file}: the disk is full (${code}); nothing of this run was appended and the history is as it was (free space and run again)`, EXIT.historyWrite);
      throw new PerfdoError(`${file}: could not append (${(err as Error).message}); nothing of this run was appended and the history is as it was`, EXIT.historyWrite);
    } finally {
      // Under the lock nobody else appended since `size`: a partial write can be taken back whole.
      if (written !== buffer.length) ftruncateSync(fd, size);
    }
    // A short write to a regular file is the disk running out (or a size quota) part-way.
    if (written !== buffer.length) throw new PerfdoError(`${file}: the disk is full (only ${written} of ${buffer.length} bytes could be written); nothing of this run was appended and the history is as it was (free space and run again)`, EXIT.historyWrite);
    return torn;
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
export async function appendResults(resultsDir: string, results: readonly BenchmarkResult[], at: Date, warn: (message: string) => void = (m) => console.error(m)): Promise<string> {
  const file = historyFile(resultsDir, at);
  if (results.length === 0) return file;
  const text = serialiseResults(results);
  mkdirSync(resultsDir, { recursive: true });
  closeSync(openSync(file, "a")); // proper-lockfile locks existing files only
  const release = await lockfile.lock(file, { retries: { retries: 50, minTimeout: 20, maxTimeout: 200 }, stale: 30_000 });
  try {
    const torn = appendLocked(file, text);
    // A writer that lost power mid-append: its torn line stays (readers report it), ours go after it.
    if (torn > 0) warn(`perfdo: ${file} ended in a torn line (${torn} bytes, no newline: a write cut short); it is kept apart on its own line and skipped by readers, every whole line is kept, and this run's lines follow it`);
  } finally {
    await release();
  }
  return file;
}
