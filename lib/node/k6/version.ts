import { readFileSync } from "node:fs";
import { join } from "node:path";

// The pinned k6 lives in tools/k6/go.mod (the module `go install` builds from), so bumping k6 is
// one edit there plus `go mod tidy`; everything else reads it from that file.

export const K6_MODULE = "go.k6.io/k6/v2";

export function pinnedK6Version(root: string): string {
  const gomod = readFileSync(join(root, "tools", "k6", "go.mod"), "utf8");
  const match = new RegExp(`^\\s*${K6_MODULE.replace(/\./g, "\\.")}\\s+(v\\d+\\.\\d+\\.\\d+\\S*)`, "m").exec(gomod);
  if (!match?.[1]) throw new Error(`tools/k6/go.mod does not require ${K6_MODULE}`);
  return match[1];
}

/** "k6 v2.2.0 (go1.26.8, linux/amd64)" → "v2.2.0"; null when the text is not k6's version line. */
export function parseK6Version(output: string): string | null {
  const match = /\bk6\s+(v\d+\.\d+\.\d+[^\s(]*)/.exec(output);
  return match?.[1] ?? null;
}
