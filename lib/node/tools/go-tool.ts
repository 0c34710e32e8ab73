import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT, PerfdoError } from "../errors";
import { toolsBin } from "../k6/provision";
import { builtFrom, stamp } from "./stamp";

// The Go tools the project checks itself with (actionlint, kubeconform, and iceberg-read: our reader
// of the Worker's Iceberg tables with Apache's iceberg-go), pinned like k6: one module
// per tool under tools/<name>/ whose go.mod names it with a `tool` directive and whose go.sum
// checksums the build. `go install` builds it into .tools/bin on first use, and again whenever
// go.mod or go.sum is newer than the binary, so a bumped pin takes effect without a manual step.

/** The tools with a module under tools/: the name is the binary's and the folder's. */
export const GO_TOOLS = ["actionlint", "kubeconform", "iceberg-read"] as const;
export type GoToolName = (typeof GO_TOOLS)[number];

export function isGoTool(name: string): name is GoToolName {
  return (GO_TOOLS as readonly string[]).includes(name);
}

/** The package a tool module pins: its go.mod's `tool` line, and the version `require`d for its module. */
export function pinnedTool(root: string, name: GoToolName): { pkg: string; version: string } {
  const gomod = readFileSync(join(root, "tools", name, "go.mod"), "utf8");
  const pkg = /^tool\s+(\S+)\s*$/m.exec(gomod)?.[1];
  if (!pkg) throw new PerfdoError(`tools/${name}/go.mod: no "tool" directive naming the package to build`, EXIT.internal);
  // The longest `require`d module that prefixes the package is the tool's own module.
  let version = "";
  let longest = 0;
  for (const m of gomod.matchAll(/^\s*(?:require\s+)?(\S+)\s+(v\S+)/gm)) {
    const mod = m[1] as string;
    if ((pkg === mod || pkg.startsWith(`${mod}/`)) && mod.length > longest) [longest, version] = [mod.length, m[2] as string];
  }
  // A command of the tool module itself (iceberg-read): what it pins directly, e.g. "iceberg-go v0.7.0".
  if (!version) {
    const direct = [...gomod.matchAll(/^\s*(?:require\s+)?(\S+)\s+(v\S+)\s*$/gm)].map((m) => `${(m[1] as string).replace(/\/v\d+$/, "").split("/").pop()} ${m[2]}`);
    version = direct.join(", ");
  }
  return { pkg, version: version || "unknown" };
}

/** The path of the pinned tool's binary, built first when missing or older than its pin. */
export function ensureGoTool(root: string, name: GoToolName, log: (line: string) => void = (l) => console.error(l)): string {
  const bin = join(toolsBin(root), name);
  if (builtFrom(bin, join(root, "tools", name))) return bin;
  const { pkg, version } = pinnedTool(root, name);
  log(`perfdo: building ${name} ${version} (tools/${name}) into .tools/bin …`);
  const res = spawnSync("go", ["install", pkg], {
    cwd: join(root, "tools", name),
    env: { ...process.env, GOBIN: toolsBin(root), GOFLAGS: "-mod=mod" },
    encoding: "utf8",
    timeout: 600_000,
  });
  if (res.error || res.status !== 0 || !existsSync(bin)) {
    const why = res.error ? res.error.message : (res.stderr || "").trim().split("\n").pop();
    throw new PerfdoError(
      `${name} ${version} could not be built (${why ?? "no output"}); install Go 1.24+ and run again, or: cd tools/${name} && GOBIN="$PWD/../../.tools/bin" go install ${pkg}`,
      EXIT.toolMissing,
    );
  }
  stamp(bin, join(root, "tools", name));
  return bin;
}
