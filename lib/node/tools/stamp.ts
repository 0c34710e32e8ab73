import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

// Whether a binary in .tools/bin was built from today's tools/<name>: judged by a hash of the source
// files' paths and contents, written beside the binary (<bin>.sources) when it is built. Not by
// mtimes: a fresh checkout gives every file a new mtime, so a binary restored from CI's cache (keyed
// by the same files' hash) looked older than its sources and was rebuilt on every run.

/** sha256 of every file under `dir` (relative path and contents, in path order). */
export function sourcesHash(dir: string): string {
  const hash = createHash("sha256");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)).split(sep).join("/"))
    .sort();
  for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(dir, f))).update("\0");
  return hash.digest("hex");
}

const stampOf = (bin: string): string => `${bin}.sources`;

/** True when `bin` exists and was stamped with the current hash of `sourcesDir`. */
export function builtFrom(bin: string, sourcesDir: string): boolean {
  return existsSync(bin) && existsSync(stampOf(bin)) && readFileSync(stampOf(bin), "utf8").trim() === sourcesHash(sourcesDir);
}

export function stamp(bin: string, sourcesDir: string): void {
  writeFileSync(stampOf(bin), `${sourcesHash(sourcesDir)}\n`);
}
