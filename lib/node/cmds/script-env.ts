import { totalmem } from "node:os";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseDuration } from "../../k6/duration";
import { OVERRIDE_ENV, PROFILE_NAMES, type ProfileName, type ProfileOverrides } from "../../k6/profile";
import { resolveTarget, splitList, targetUrl, type Target } from "../../k6/target";
import { inputError } from "../errors";

// What a k6 script is given, from the CLI. The one table of profile overrides: each one's CLI flag,
// its ProfileOverrides key and the PERFDO_* env the script reads it from (lib/k6/profile.ts
// profileFromEnv); and the target's env. `run`, `k8s`, `cloud` and `ingest` take both from here;
// nothing else lists them.

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

export function duration(value: string): string {
  try {
    if (parseDuration(value) <= 0) throw new Error("must be positive");
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/**
 * What one VU costs k6, at the least. Measured here (GNU time's peak RSS, 1,000 pre-allocated VUs
 * at 1 it/s for 3 s): a bare one-request script 154 MB, the built network/echo 223 MB, so about
 * 0.2 MB a VU for the lightest scenario; heavier ones cost more (perf/datasets ~0.7 MB). A count whose
 * VUs cannot fit in this machine's memory even at that is refused before k6 starts: k6 would
 * otherwise sit allocating them until it is killed.
 */
export const MB_PER_VU = 0.2;

export function vuCount(value: string, memoryBytes = totalmem()): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError("must be a whole number of VUs");
  const needMB = n * MB_PER_VU;
  const haveMB = memoryBytes / (1024 * 1024);
  if (needMB > haveMB) {
    const gb = (mb: number): string => `${(mb / 1024).toFixed(mb < 10_240 ? 1 : 0)} GB`;
    throw new InvalidArgumentError(`${n} VUs need at least ${gb(needMB)} (${MB_PER_VU} MB each) and this machine has ${gb(haveMB)}; at most ${Math.floor(haveMB / MB_PER_VU)}`);
  }
  return n;
}

interface Override {
  key: keyof ProfileOverrides;
  flag: string;
  help: string;
  parse: (value: string) => number | string;
}

/** Each override's flag; the env it travels in is OVERRIDE_ENV's (lib/k6/profile.ts), the one table both sides read. */
export const PROFILE_OVERRIDES: readonly Override[] = [
  { key: "rate", flag: "--rate <n>", help: "iterations per second (arrival-rate profiles)", parse: positiveNumber },
  { key: "peakRate", flag: "--peak-rate <n>", help: "peak iterations per second (spike, stress)", parse: positiveNumber },
  { key: "duration", flag: "-d, --duration <d>", help: "run duration, k6 units (30s, 2m)", parse: duration },
  { key: "vus", flag: "--vus <n>", help: "VUs (ramp/smoke) or pre-allocated VUs (arrival rate)", parse: (v) => vuCount(v) },
  { key: "maxVUs", flag: "--max-vus <n>", help: "VU ceiling for arrival-rate profiles", parse: (v) => vuCount(v) },
  { key: "iterations", flag: "--iterations <n>", help: "iterations per VU (smoke)", parse: positiveNumber },
];

/** `--profile` and every override flag, on `command`; `except` leaves out those the command sets itself. */
export function addProfileOptions(command: Command, except: ReadonlyArray<keyof ProfileOverrides> = []): Command {
  command.addOption(new Option("-p, --profile <name>", "load profile (default: the scenario's own)").choices([...PROFILE_NAMES]));
  for (const o of PROFILE_OVERRIDES) if (!except.includes(o.key)) command.option(o.flag, o.help, o.parse);
  return command;
}

/** The overrides among parsed flags (commander's camelCase keys match ProfileOverrides', maxVus aside). */
export function overridesFrom(flags: Record<string, unknown>): ProfileOverrides {
  const out: ProfileOverrides = {};
  for (const o of PROFILE_OVERRIDES) {
    const value = flags[o.key === "maxVUs" ? "maxVus" : o.key];
    if (value !== undefined) (out as Record<string, unknown>)[o.key] = value;
  }
  return out;
}

/** The PERFDO_* env that gives a k6 script this profile and these overrides. */
export function profileEnv(profile: ProfileName | undefined, overrides: ProfileOverrides): Record<string, string> {
  const env: Record<string, string> = {};
  if (profile) env.PERFDO_PROFILE = profile;
  for (const o of PROFILE_OVERRIDES) {
    const value = overrides[o.key];
    if (value !== undefined) env[OVERRIDE_ENV[o.key]] = String(value);
  }
  return env;
}

/** A `--target` value, allow-listed by PERFDO_ALLOWED_DOMAINS; a refused one is a one-line input error. */
export function targetOf(spec: string, env: NodeJS.ProcessEnv = process.env): Target {
  try {
    return resolveTarget(spec, { allowedDomains: splitList(env.PERFDO_ALLOWED_DOMAINS), carrier: env.PERFDO_NAMESPACE_IN });
  } catch (err) {
    throw inputError((err as Error).message);
  }
}

/**
 * The target as a k6 script reads it back (lib/k6/target.ts targetFromEnv): "local", a base domain,
 * or a URL with its carrier. A bare base domain stays bare, so a script sees what it always saw.
 */
function targetSpecEnv(target: Target): Record<string, string> {
  if (target.address !== undefined) return { PERFDO_TARGET: "local" }; // the local Worker: only it has an address
  const bare = target.scheme === "https" && target.port === undefined && target.prefix === undefined && (target.carrier === undefined || (target.carrier === "path" && target.baseDomain.endsWith(".workers.dev")));
  if (bare) return { PERFDO_TARGET: target.baseDomain };
  return { PERFDO_TARGET: targetUrl(target), PERFDO_NAMESPACE_IN: target.carrier ?? "subdomain" };
}

/**
 * The env a k6 script reads everything from: profile and overrides, the target (PERFDO_TARGET, the
 * local Worker's address, `--resolve`), and the allow-list the script checks the target against.
 */
export function scriptEnv(
  run: { profile?: ProfileName; overrides: ProfileOverrides; target: Target; localAddress?: string; resolve?: string },
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out = { ...profileEnv(run.profile, run.overrides), ...targetSpecEnv(run.target) };
  if (run.localAddress) Object.assign(out, { PERFDO_LOCAL_ADDRESS: run.localAddress });
  if (run.resolve !== undefined) Object.assign(out, { PERFDO_RESOLVE: run.resolve });
  if (env.PERFDO_ALLOWED_DOMAINS) Object.assign(out, { PERFDO_ALLOWED_DOMAINS: env.PERFDO_ALLOWED_DOMAINS });
  return out;
}
