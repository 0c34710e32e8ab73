// Where load goes. A scenario names a namespace ("fork"); the target turns it into a URL.
// Pure and free of k6 imports: k6 enforces it at init, and the Node CLI checks the same rule
// before it starts k6, so load only ever reaches loopback or an allow-listed perf.do domain.

export const DEFAULT_BASE_DOMAIN = "perf.do";
export const DEFAULT_LOCAL_ADDRESS = "127.0.0.1:8787";

export interface Target {
  kind: "local" | "remote";
  /** Namespaces are subdomains of this: `fork` → `fork.<baseDomain>`; or, on a one-host target, its host. */
  baseDomain: string;
  scheme: "http" | "https";
  /**
   * Where a request names its namespace: the subdomain (`fork.perf.do`), or, where a deployment has
   * one host for everything (workers.dev: `<worker>.<account>.workers.dev`), a path prefix
   * (`<host>/@fork/...`) that the reference Worker reads (deploy/src/namespace.ts).
   */
  carrier?: "host" | "path";
  /** Local only: the loopback host:port every `*.baseDomain` name is pinned to via k6's `hosts`. */
  address?: string;
}

// The patterns are compiled where they are used, not at module load: k6 loads this module in every
// VU, and a compiled pattern costs each VU ~9 KB (npm run bench:overhead, 1,000 idle VUs). Only the
// init run that reads options (__VU 0) validates the target; VUs trust what it accepted.
export function isLoopbackAddress(address: string): boolean {
  return /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d{1,5})?$/i.test(address);
}

export function isDomainName(domain: string): boolean {
  return /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domain);
}

/** `perf.do` and its subdomains are always allowed; anything else only when listed explicitly. */
export function isAllowedDomain(domain: string, extraAllowed: readonly string[] = []): boolean {
  const d = domain.toLowerCase();
  if (d === DEFAULT_BASE_DOMAIN || d.endsWith(`.${DEFAULT_BASE_DOMAIN}`)) return true;
  return extraAllowed.some((allowed) => allowed.toLowerCase() === d);
}

export function splitList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * `local` (or `local=127.0.0.1:PORT`) → the loopback Worker; anything else is a base domain.
 * Throws with a one-line reason for anything that is neither loopback nor allow-listed.
 */
export function resolveTarget(
  spec: string,
  options: { localAddress?: string; allowedDomains?: readonly string[]; /** Accepted already (by k6's __VU 0 init): skip the checks. */ checked?: boolean } = {},
): Target {
  const trimmed = spec.trim();
  if (trimmed === "local" || trimmed.startsWith("local=")) {
    const address = trimmed.startsWith("local=") ? trimmed.slice("local=".length) : options.localAddress || DEFAULT_LOCAL_ADDRESS;
    if (!options.checked && !isLoopbackAddress(address)) throw new Error(`local target address "${address}" is not a loopback address (127.0.0.0/8, localhost or [::1])`);
    return { kind: "local", baseDomain: DEFAULT_BASE_DOMAIN, scheme: "http", address };
  }
  const domain = trimmed.replace(/^https?:\/\//, "").replace(/\/+$/, "").toLowerCase();
  const remote: Target = { kind: "remote", baseDomain: domain, scheme: "https", ...(isOneHost(domain) ? { carrier: "path" } : {}) };
  if (options.checked) return remote;
  if (!isDomainName(domain)) throw new Error(`target "${spec}" is neither "local" nor a domain name like perf.do`);
  if (!isAllowedDomain(domain, options.allowedDomains)) {
    throw new Error(`target domain "${domain}" is not allow-listed (perf.do is; add your own with PERFDO_ALLOWED_DOMAINS)`);
  }
  return remote;
}

/**
 * Reads the target the CLI passed to k6 (or a user passed with -e). Default: the real perf.do.
 * `checked`: the same env was accepted already (k6's __VU 0 init, which fails the run otherwise).
 */
export function targetFromEnv(env: Record<string, string | undefined>, checked = false): Target {
  const spec = env.PERFDO_TARGET || DEFAULT_BASE_DOMAIN;
  // What `perfdo run` passes, recognised without a string method: the first one a VU calls makes
  // sobek build String.prototype in that VU (~6 KB each). VUs need no address (k6's hosts has it).
  if (checked && spec === "local") return { kind: "local", baseDomain: DEFAULT_BASE_DOMAIN, scheme: "http" };
  if (checked && spec === DEFAULT_BASE_DOMAIN) return { kind: "remote", baseDomain: DEFAULT_BASE_DOMAIN, scheme: "https" };
  return resolveTarget(spec, {
    localAddress: env.PERFDO_LOCAL_ADDRESS,
    allowedDomains: checked ? [] : splitList(env.PERFDO_ALLOWED_DOMAINS),
    checked,
  });
}

/** A workers.dev host serves one Worker and has no subdomains of its own: namespaces go in the path. */
function isOneHost(domain: string): boolean {
  return domain.endsWith(".workers.dev");
}

/**
 * Where a namespace lives, without the scheme: `fork.perf.do`, or `<host>/@fork` on a one-host
 * target. Requests and WebSocket URLs append their path to it; results record it as the target.
 */
export function hostFor(target: Target, namespace: string): string {
  return target.carrier === "path" ? `${target.baseDomain}/@${namespace}` : `${namespace}.${target.baseDomain}`;
}

export function baseUrl(target: Target, namespace: string): string {
  return `${target.scheme}://${hostFor(target, namespace)}`;
}

/**
 * `--resolve <domain>=<host:port>` (PERFDO_RESOLVE), as curl's --resolve: requests for a remote
 * target's domain and its subdomains connect to a loopback address instead of DNS's answer, keeping
 * the scheme, Host and TLS SNI. Loopback only. Returns k6 `hosts` entries, or throws one line.
 */
export function resolveHosts(target: Target, spec: string): Record<string, string> {
  const eq = spec.indexOf("=");
  const domain = (eq < 0 ? "" : spec.slice(0, eq)).trim().toLowerCase();
  const address = eq < 0 ? "" : spec.slice(eq + 1).trim();
  if (!domain || !address) throw new Error(`--resolve "${spec}": expected <domain>=<loopback host:port>, e.g. perf.do=127.0.0.1:8443`);
  if (target.kind !== "remote") throw new Error(`--resolve is for a remote target (a domain); the local target is loopback already`);
  if (domain !== target.baseDomain) throw new Error(`--resolve "${spec}": the domain must be the target's, ${target.baseDomain}`);
  if (!isLoopbackAddress(address) || !/:\d{1,5}$/.test(address)) throw new Error(`--resolve "${spec}": ${address} is not a loopback host:port (127.0.0.0/8, localhost or [::1], with a port)`);
  return { [`*.${domain}`]: address, [domain]: address };
}

/** k6 `hosts` entries that pin every namespace host to the local Worker, so requests carry the real Host. */
export function k6Hosts(target: Target): Record<string, string> | undefined {
  if (target.kind !== "local" || !target.address) return undefined;
  return { [`*.${target.baseDomain}`]: target.address, [target.baseDomain]: target.address };
}
