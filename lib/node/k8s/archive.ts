import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

// Whether a scenario can run from its built script alone, or needs the files it opens (CSVs, a
// vendored library) beside it: k6's own `k6 archive` gathers them, and its tar lists them. The k6
// env goes into the archive as it would in the pods (the script's options read it), the token never.

/** The regular files of a tar (ustar headers: name at 0, size at 124 in octal, type at 156). */
export function tarFiles(tar: Buffer): string[] {
  const files: string[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, length: number) => header.toString("latin1", from, from + length).replace(/\0.*$/s, "");
    const name = `${field(345, 155) ? `${field(345, 155)}/` : ""}${field(0, 100)}`;
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    if (type === "0" || type === "") files.push(name);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * The gzip-compressed k6 archive of `script` when it opens files of its own (null when the script is
 * all it needs). Throws with k6's reason when k6 cannot archive it.
 */
export function archiveIfNeeded(k6Bin: string, script: string, env: Record<string, string>): Buffer | null {
  const dir = mkdtempSync(join(tmpdir(), "perfdo-k8s-archive-"));
  try {
    const out = join(dir, "test.tar");
    const res = spawnSync(k6Bin, ["archive", ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), "-O", out, script], { encoding: "utf8", timeout: 120_000 });
    if (res.status !== 0) throw new Error(`k6 archive ${script} failed: ${(res.stderr || "").trim().split("\n").pop() ?? `exit ${res.status}`}`);
    const tar = readFileSync(out);
    // metadata.json and `data` (the script's own source) are every archive's; anything else was opened.
    const opened = tarFiles(tar).filter((f) => f !== "metadata.json" && f !== "data");
    return opened.length > 0 ? gzipSync(tar, { level: 9 }) : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
