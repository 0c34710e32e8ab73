import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { inputError } from "../errors";
import type { ScenarioEntry } from "../build/catalog";

// A k6 script of the user's own (`perfdo run ./load/test.js`): any script k6 runs, with its own
// options, scenarios and thresholds. It is bundled by esbuild (its imports, node_modules included;
// TypeScript too) into a file beside it, so that k6 resolves the script's `open()` paths from the
// same folder as it would the original, and the file is removed after the run.

const SCRIPT_EXTENSIONS = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"];

/** A path to a script file outside the catalog (scenarios/ and build/ hold the catalog's own). */
export function isOwnScript(root: string, input: string, cwd = process.cwd()): boolean {
  if (!SCRIPT_EXTENSIONS.includes(extname(input).toLowerCase())) return false;
  const path = resolve(cwd, input);
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  return !["scenarios", "build"].some((dir) => path.startsWith(join(root, dir) + sep));
}

export function ownScriptEntry(input: string, cwd = process.cwd()): ScenarioEntry {
  const source = resolve(cwd, input);
  const name = relative(cwd, source).split(sep).join("/") || basename(source);
  return {
    name,
    source,
    // Per process: two runs of one script at once must not remove each other's bundle.
    script: join(dirname(source), `.${basename(source, extname(source))}.perfdo-bundle-${process.pid}.js`),
    thresholds: "",
    own: true,
  };
}

/** Bundles the script (and whatever it imports) for k6; a script that does not build is an input error. */
export async function buildOwnScript(entry: ScenarioEntry): Promise<void> {
  const { build } = await import("esbuild");
  const { k6BuildOptions } = await import("../../../esbuild.config.mjs");
  try {
    await build({ ...k6BuildOptions, entryPoints: [entry.source], outfile: entry.script, metafile: false, logLevel: "silent", banner: { js: `// Bundled from ${basename(entry.source)} by perfdo run; removed after the run.` } });
  } catch (err) {
    throw inputError(`${entry.name}: does not build: ${(err as Error).message.split("\n").find((l) => l.trim() && !/^Build failed/.test(l))?.trim() ?? "esbuild failed"}`);
  }
}

export function removeBundle(entry: ScenarioEntry): void {
  rmSync(entry.script, { force: true });
}

export interface ScriptScenario {
  name: string;
  executor: string;
}

/** The script's k6 scenarios as k6 reads them (`k6 inspect`, under the run's env); [] when k6 cannot say. */
export function inspectScenarios(k6: string, script: string, env: Record<string, string>, passthrough: readonly string[] = []): ScriptScenario[] {
  const args = ["inspect", ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]), ...envFlags(passthrough), script];
  const res = spawnSync(k6, args, { encoding: "utf8", timeout: 30_000 });
  if (res.status !== 0) return [];
  try {
    const options = JSON.parse(res.stdout) as { scenarios?: Record<string, { executor?: string }> | null };
    return Object.entries(options.scenarios ?? {}).map(([name, s]) => ({ name, executor: s.executor ?? "?" }));
  } catch {
    return [];
  }
}

/** The `-e KEY=VALUE` pairs among passed-through k6 flags (k6 inspect takes those, not run's others). */
function envFlags(passthrough: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < passthrough.length; i++) {
    const arg = passthrough[i] as string;
    if ((arg === "-e" || arg === "--env") && passthrough[i + 1] !== undefined) out.push("-e", passthrough[++i] as string);
    else if (arg.startsWith("--env=")) out.push("-e", arg.slice("--env=".length));
  }
  return out;
}

/** Arrival-rate executors: the open model, whose latency coordinated omission can understate. */
export const isOpenModel = (executor: string): boolean => executor.endsWith("-arrival-rate");

/** k6 flags the harness sets itself, refused after `--` with the reason. */
const RESERVED: Record<string, string> = {
  "--summary-export": "the harness reads k6's summary export from its own file",
  "--execution-segment": "--instances splits the run into execution segments",
  "--execution-segment-sequence": "--instances splits the run into execution segments",
};

/** Checks the flags passed through to k6 (after `--`); throws a one-line input error for one the harness owns. */
export function checkPassthrough(args: readonly string[]): readonly string[] {
  for (const arg of args) {
    const flag = arg.split("=")[0] as string;
    const why = RESERVED[flag];
    if (why) throw inputError(`k6 flag ${flag} cannot be passed through: ${why}`);
  }
  return args;
}

/**
 * k6 `--blacklist-ip` ranges that leave only loopback reachable: every IPv4 address outside
 * 127.0.0.0/8, and every IPv6 address but ::1. A script of the user's own names its own URLs, so the
 * only way to keep a loopback run on loopback is to have k6 refuse the rest before it dials.
 */
export function nonLoopbackRanges(): string[] {
  const v4 = ["0.0.0.0/2", "64.0.0.0/3", "96.0.0.0/4", "112.0.0.0/5", "120.0.0.0/6", "124.0.0.0/7", "126.0.0.0/8", "128.0.0.0/1"];
  // ::/0 minus ::1/128: for each prefix length n (1..128), the sibling of ::1's n-bit prefix.
  const v6: string[] = [];
  for (let n = 1; n <= 128; n++) {
    const bits = 1n << BigInt(128 - n); // the n-th bit from the top; ::1's own bits above n are all 0
    const sibling = n === 128 ? 0n : bits; // at n = 128 ::1's last bit is 1, so its sibling is ::0
    v6.push(`${ipv6(sibling)}/${n}`);
  }
  return [...v4, ...v6];
}

function ipv6(value: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":");
}
