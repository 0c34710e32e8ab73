import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { EXIT, PerfdoError } from "../errors";
import { builtFrom, stamp } from "../tools/stamp";
import { K6_MODULE, parseK6Version, pinnedK6Version } from "./version";

// Finds a k6 of the pinned version, or builds one: K6_BIN, then `k6` on PATH, then the project's
// .tools/bin/k6, then `go install` into .tools/bin. The version is checked every time.
// The k6 built here carries the perfdo output extension (tools/k6/output), the cheap raw capture;
// a stock k6 of the right version works too, with k6's JSON output instead (slower under load).

export interface K6 {
  bin: string;
  version: string;
  source: "K6_BIN" | "PATH" | ".tools" | "go install";
  /** Has the perfdo output extension (`--out perfdo=`). */
  perfdoOutput: boolean;
}

/** The package `go install` builds: k6 plus the perfdo output extension. */
export const K6_BUILD_PACKAGE = "./cmd/k6";

export function toolsBin(root: string): string {
  return join(root, ".tools", "bin");
}

/** A k6 binary's version, and whether it lists the perfdo output among its extensions. */
export function k6VersionOf(bin: string): { version: string; perfdoOutput: boolean } | null {
  const res = spawnSync(bin, ["version"], { encoding: "utf8", timeout: 20_000 });
  if (res.error || res.status !== 0) return null;
  const text = `${res.stdout}\n${res.stderr}`;
  const version = parseK6Version(text);
  return version ? { version, perfdoOutput: /\bperfdo \[output\]/.test(text) } : null;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export function installHelp(version: string): string {
  return [
    `No k6 ${version} is available and it could not be built here.`,
    `Install k6 ${version} one of these ways, then run the command again:`,
    `  - Go toolchain (1.24+):   GOBIN="$PWD/.tools/bin" go install ${K6_MODULE}@${version}`,
    `  - Package manager:        brew install k6  |  sudo apt-get install k6 (Grafana's apt repo)  |  winget install k6 --source winget`,
    `  - Container image:        docker run --rm -i grafana/k6:${version.replace(/^v/, "")} run - <build/<scenario>.js`,
    `  - Release binary:         download k6-${version}-<os>-<arch> from github.com/grafana/k6/releases`,
    `Then put it on PATH, or point at it: export K6_BIN=/path/to/k6 (its version must be ${version}).`,
  ].join("\n");
}

/** The pinned k6 if one is already present; null otherwise. Throws if K6_BIN names a wrong one. */
export function findK6(root: string, env: NodeJS.ProcessEnv = process.env): K6 | null {
  const version = pinnedK6Version(root);
  if (env.K6_BIN) {
    const found = k6VersionOf(env.K6_BIN);
    if (found?.version === version) return { bin: env.K6_BIN, version, source: "K6_BIN", perfdoOutput: found.perfdoOutput };
    throw new PerfdoError(
      `K6_BIN=${env.K6_BIN} ${found ? `is k6 ${found.version}` : "does not run as k6"}; this harness needs k6 ${version} (unset K6_BIN to build it)`,
      EXIT.k6Missing,
    );
  }
  // The project's own build first: it has the extension. One not built from today's tools/k6 (the
  // pin or the extension changed; stamp.ts says how that is judged) is rebuilt.
  const local = join(toolsBin(root), "k6");
  const localFound = builtFrom(local, join(root, "tools", "k6")) ? k6VersionOf(local) : null;
  if (localFound?.version === version && localFound.perfdoOutput) return { bin: local, version, source: ".tools", perfdoOutput: true };
  const fromPath = onPath("k6", env);
  const pathFound = fromPath ? k6VersionOf(fromPath) : null;
  if (fromPath && pathFound?.version === version) return { bin: fromPath, version, source: "PATH", perfdoOutput: pathFound.perfdoOutput };
  return null;
}

/** Builds the pinned k6 with `go install` from tools/k6 (checksummed by its go.sum). */
export function installK6(root: string, env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = console.error): K6 {
  const version = pinnedK6Version(root);
  const go = onPath("go", env) ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : null);
  if (!go) throw new PerfdoError(`no Go toolchain on PATH to build k6.\n${installHelp(version)}`, EXIT.k6Missing);
  log(`perfdo: building k6 ${version} with go install into .tools/bin (a few minutes, once)…`);
  const res = spawnSync(go, ["install", "-trimpath", K6_BUILD_PACKAGE], {
    cwd: join(root, "tools", "k6"),
    env: { ...env, GOBIN: toolsBin(root), GOFLAGS: [env.GOFLAGS, "-mod=mod"].filter(Boolean).join(" ") },
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 20 * 60_000,
  });
  const bin = join(toolsBin(root), "k6");
  const built = res.status === 0 ? k6VersionOf(bin) : null;
  // Built from today's tools/k6: say so beside it (go install leaves an up-to-date binary untouched).
  if (built) stamp(bin, join(root, "tools", "k6"));
  if (built?.version !== version) {
    throw new PerfdoError(`go install ${K6_MODULE}@${version} (tools/k6/${K6_BUILD_PACKAGE.slice(2)}) failed (exit ${res.status ?? res.signal}).\n${installHelp(version)}`, EXIT.k6Missing);
  }
  return { bin, version, source: "go install", perfdoOutput: built.perfdoOutput };
}

export function ensureK6(root: string, env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): K6 {
  return findK6(root, env) ?? installK6(root, env, log);
}
