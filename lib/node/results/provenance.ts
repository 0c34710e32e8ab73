import { spawnSync } from "node:child_process";
import { BlockList, isIPv6 } from "node:net";
import { arch, availableParallelism, cpus, hostname, platform } from "node:os";
import { z } from "zod";
import type { CaptureProvenance, RawRun } from "./raw-run";

// Where a result line's numbers came from, so that a customer can check them: the harness's commit,
// the k6 that made them, the machine the load came from, the addresses it actually reached, and
// whether the run was a rehearsal. The run writes it; a capture made elsewhere carries it in its P
// line (tools/k6/output/provenance.go), so `ingest` and `k8s collect` read it instead of guessing.
//
// Loopback and private addresses are told apart with node:net's BlockList (the ranges of RFC 6890),
// not hand-written patterns.

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");
LOOPBACK.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

const PRIVATE = new BlockList();
for (const [net, bits] of [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["169.254.0.0", 16], ["100.64.0.0", 10]] as const) PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [["fc00::", 7], ["fe80::", 10]] as const) PRIVATE.addSubnet(net, bits, "ipv6");

/** `ip:port`, or `[ip]:port` for IPv6 (as URLs write it). */
export function addressText(ip: string, port: string | undefined): string {
  const host = isIPv6(ip) ? `[${ip}]` : ip;
  return port ? `${host}:${port}` : host;
}

export const hostOf = (address: string): string => (address.startsWith("[") ? address.slice(1, address.indexOf("]")) : address.split(":")[0] ?? address);
const family = (ip: string): "ipv4" | "ipv6" => (isIPv6(ip) ? "ipv6" : "ipv4");
export const isLoopbackIp = (ip: string): boolean => ip === "localhost" || LOOPBACK.check(ip, family(ip));
export const isPrivateIp = (ip: string): boolean => PRIVATE.check(ip, family(ip));

/** How many addresses a line lists at most (a load balancer can answer from many; the flags count them all). */
export const MAX_ADDRESSES = 32;

export const GeneratorSchema = z.strictObject({
  os: z.string(),
  arch: z.string().optional(),
  cores: z.number().int().positive(),
  cpuModel: z.string(),
  host: z.string().optional(),
  /** Grafana Cloud k6 load zone of the runner. */
  loadZone: z.string().optional(),
  /** k6-operator runner pod. */
  pod: z.string().optional(),
});

export const ProvenanceSchema = z.strictObject({
  /** The harness's commit (12 hex digits), or "unknown". */
  gitCommit: z.string().min(1),
  /** Uncommitted changes to tracked files when the run started; null when unknown. */
  gitDirty: z.boolean().nullable(),
  k6Version: z.string().min(1),
  /** `perfdo-output`: k6 built with the harness's output extension; `stock`: plain k6 (JSON output). */
  k6Build: z.enum(["perfdo-output", "stock", "unknown"]),
  /** The machines the load came from (one per k6 process that said); empty when no capture said. */
  generators: z.array(GeneratorSchema).max(64),
  /** The target as given: `local`, `local=127.0.0.1:PORT`, or a base domain. */
  target: z.string().min(1),
  /** `--resolve <domain>=<host:port>`: the target's domain answered from that address. */
  resolve: z.string().optional(),
  /** The addresses responses came from (k6's remote_ip and remote_port), at most MAX_ADDRESSES. */
  addresses: z.array(z.string()).max(MAX_ADDRESSES),
  reachedLoopback: z.boolean(),
  reachedPrivate: z.boolean(),
  /** A rehearsal (k8s --rehearse, cloud --rehearse, a remote domain answered from loopback): never a deployment's number. */
  rehearsal: z.boolean(),
  /** Why it is a rehearsal. */
  rehearsalReason: z.string().optional(),
  /** The command that recorded the line. */
  recordedBy: z.enum(["run", "ingest", "k8s collect", "k8s rehearse", "cloud rehearse", "migrated"]),
  /** What was inferred rather than recorded (lines migrated from schema 1). */
  note: z.string().optional(),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;
export type Generator = z.infer<typeof GeneratorSchema>;

/** What the harness tells k6 (PERFDO_PROVENANCE, JSON), so that a capture made anywhere carries it. */
export const HarnessWordSchema = z.object({
  gitCommit: z.string().optional(),
  gitDirty: z.boolean().nullable().optional(),
  target: z.string().optional(),
  resolve: z.string().optional(),
  rehearsal: z.string().optional(),
});
export type HarnessWord = z.infer<typeof HarnessWordSchema>;

/** The harness's commit and whether tracked files differ from it. */
export function gitState(root: string): { gitCommit: string; gitDirty: boolean | null } {
  const res = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, encoding: "utf8" });
  if (res.status !== 0) return { gitCommit: "unknown", gitDirty: null };
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" });
  return { gitCommit: res.stdout.trim(), gitDirty: dirty.status === 0 ? dirty.stdout.trim() !== "" : null };
}

/** This machine, for a run whose k6 wrote no P line (stock k6 with the JSON output). */
export function thisMachine(): Generator {
  return { os: platform(), arch: arch(), cores: availableParallelism(), cpuModel: cpus()[0]?.model?.trim() ?? "", host: hostname() };
}

function generatorOf(p: CaptureProvenance): Generator | null {
  const g = p.generator;
  if (!g || typeof g.os !== "string" || typeof g.cores !== "number" || g.cores < 1) return null;
  const out: Generator = { os: g.os, cores: Math.trunc(g.cores), cpuModel: g.cpuModel ?? "" };
  if (g.arch) out.arch = g.arch;
  if (g.host) out.host = g.host;
  if (g.loadZone) out.loadZone = g.loadZone;
  if (g.pod) out.pod = g.pod;
  return out;
}

/** The harness's word as a capture carried it (the first P line that has one). */
export function harnessWord(raw: RawRun): HarnessWord {
  for (const p of raw.provenance) {
    const parsed = HarnessWordSchema.safeParse(p.harness);
    if (parsed.success) return parsed.data;
  }
  return {};
}

export interface ProvenanceInput {
  raw: RawRun;
  targetKind: "local" | "remote";
  /** The target as given to the command (or read from the capture). */
  target: string;
  resolve?: string;
  gitCommit?: string;
  gitDirty?: boolean | null;
  k6Version: string;
  recordedBy: Provenance["recordedBy"];
  /** Why this is a rehearsal, when the command knows it is one. */
  rehearsal?: string;
  /** The machine that ran k6, when the recording command ran it here (used when no capture says). */
  generator?: Generator;
}

export function provenanceOf(input: ProvenanceInput): Provenance {
  const { raw } = input;
  const word = harnessWord(raw);
  const addresses = [...raw.addresses].sort();
  const ips = addresses.map(hostOf);
  const resolveHost = input.resolve ? hostOf(input.resolve.slice(input.resolve.indexOf("=") + 1)) : undefined;
  // The local Worker is loopback by construction (lib/k6/target.ts refuses anything else).
  const reachedLoopback = ips.some(isLoopbackIp) || (resolveHost !== undefined && isLoopbackIp(resolveHost)) || input.targetKind === "local";
  const reachedPrivate = ips.some(isPrivateIp) || (resolveHost !== undefined && isPrivateIp(resolveHost));
  const generators = raw.provenance.map(generatorOf).filter((g): g is Generator => g !== null);
  if (generators.length === 0 && input.generator) generators.push(input.generator);
  const builds = new Set(raw.provenance.map((p) => p.k6?.build).filter((b) => b !== undefined));
  const k6Build: Provenance["k6Build"] = builds.has("perfdo-output") ? "perfdo-output" : raw.provenance.length === 0 && input.recordedBy === "run" ? "stock" : "unknown";
  const capturedVersion = raw.provenance.map((p) => p.k6?.version).find((v) => v && v !== "unknown");
  let rehearsal = input.rehearsal ?? word.rehearsal;
  if (!rehearsal && input.resolve && resolveHost !== undefined && isLoopbackIp(resolveHost)) rehearsal = `--resolve ${input.resolve}: the domain was answered from loopback`;
  if (!rehearsal && input.targetKind === "remote" && ips.some(isLoopbackIp)) rehearsal = `a remote target answered from loopback (${addresses.filter((a) => isLoopbackIp(hostOf(a))).join(", ")})`;
  const p: Provenance = {
    gitCommit: input.gitCommit ?? word.gitCommit ?? "unknown",
    gitDirty: input.gitDirty !== undefined ? input.gitDirty : word.gitDirty ?? null,
    k6Version: capturedVersion ?? input.k6Version,
    k6Build,
    generators: generators.slice(0, 64),
    target: input.target,
    addresses: addresses.slice(0, MAX_ADDRESSES),
    reachedLoopback,
    reachedPrivate,
    rehearsal: rehearsal !== undefined,
    recordedBy: input.recordedBy,
  };
  const resolve = input.resolve ?? word.resolve;
  if (resolve) p.resolve = resolve;
  if (rehearsal) p.rehearsalReason = rehearsal;
  return p;
}

/** A line of evidence about a deployment: it reached addresses, none loopback or private, and was no rehearsal. */
export const isDeploymentEvidence = (p: Provenance, targetKind: "local" | "remote"): boolean =>
  targetKind === "remote" && !p.rehearsal && !p.reachedLoopback && !p.reachedPrivate && p.addresses.length > 0;
