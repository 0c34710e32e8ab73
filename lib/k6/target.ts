// Where load goes. A scenario names a namespace ("fork"); the target turns it into a URL.
// Pure and free of k6 imports: k6 enforces it at init, and the Node CLI checks the same rule
// before it starts k6, so load only ever reaches loopback or an allow-listed perf.do domain.

export const DEFAULT_BASE_DOMAIN = "perf.do";
export const DEFAULT_LOCAL_ADDRESS = "127.0.0.1:8787";

/**
 * How a request names its namespace: the subdomain (`fork.perf.do`); a path prefix (`<host>/@fork/...`)
 * where a deployment has one host for everything (workers.dev: `<worker>.<account>.workers.dev`); a
 * header (`X-Perfdo-Namespace: fork`); or not at all, for a plain HTTP API. The reference Worker
 * reads the first three (deploy/src/namespace.ts, deploy/src/index.ts).
 */
export type Carrier = "subdomain" | "path" | "header" | "none";
export const CARRIERS: readonly Carrier[] = ["subdomain", "path", "header", "none"];
export const NAMESPACE_HEADER = "X-Perfdo-Namespace";

export interface Target {
  kind: "local" | "remote";
  /** Namespaces are subdomains of this: `fork` → `fork.<baseDomain>`; or, on a one-host target, its host (name or IP). */
  baseDomain: string;
  scheme: "http" | "https";
  /** Where a request names its namespace; absent: the subdomain. */
  carrier?: Carrier;
  /** Local only: the loopback host:port every `*.baseDomain` name is pinned to via k6's `hosts`. */
  address?: string;
  /** A URL target's port, when it names one. */
  port?: number;
  /** A URL target's path prefix (`/api/v1`), put before every request's path. */
  prefix?: string;
  /**
   * A plain HTTP API (a URL target whose namespace travels by header or not at all): no perf.do
   * contract, so no body-is-JSON check by default, no colo, cost or Durable Object lines.
   */
  plain?: true;
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
 * `local` (or `local=127.0.0.1:PORT`) → the loopback Worker; a URL with a scheme
 * (`http://127.0.0.1:8080/api/v1`) → that origin and path prefix; anything else is a base domain.
 * Throws with a one-line reason for anything that is neither loopback nor allow-listed.
 */
export function resolveTarget(
  spec: string,
  options: {
    localAddress?: string;
    allowedDomains?: readonly string[];
    /** How the namespace travels (PERFDO_NAMESPACE_IN); default: by the target's kind. */
    carrier?: string;
    /** Accepted already (by k6's __VU 0 init): skip the checks. */
    checked?: boolean;
  } = {},
): Target {
  const trimmed = spec.trim();
  const carrier = options.carrier || undefined;
  if (carrier !== undefined && !options.checked && !CARRIERS.includes(carrier as Carrier)) throw new Error(`namespace carrier "${carrier}" is not one of ${CARRIERS.join(", ")}`);
  if (trimmed === "local" || trimmed.startsWith("local=")) {
    const address = trimmed.startsWith("local=") ? trimmed.slice("local=".length) : options.localAddress || DEFAULT_LOCAL_ADDRESS;
    if (!options.checked && !isLoopbackAddress(address)) throw new Error(`local target address "${address}" is not a loopback address (127.0.0.0/8, localhost or [::1])`);
    const local: Target = { kind: "local", baseDomain: DEFAULT_BASE_DOMAIN, scheme: "http", address };
    if (carrier && carrier !== "subdomain") throw new Error(`the local Worker takes the namespace from its subdomain; --namespace-in ${carrier} is for a URL target`);
    return local;
  }
  if (/^https?:\/\//i.test(trimmed)) return urlTarget(trimmed, carrier as Carrier | undefined, options);
  const domain = trimmed.replace(/\/+$/, "").toLowerCase();
  const remote: Target = { kind: "remote", baseDomain: domain, scheme: "https", ...(isOneHost(domain) ? { carrier: "path" } : {}) };
  if (carrier && carrier !== "subdomain") throw new Error(`target "${spec}" is a base domain, whose namespaces are subdomains; give a URL (https://${domain}) to send them by ${carrier}`);
  if (options.checked) return remote;
  if (!isDomainName(domain)) throw new Error(`target "${spec}" is neither "local", a URL like http://127.0.0.1:8080/api, nor a domain name like perf.do`);
  if (!isAllowedDomain(domain, options.allowedDomains)) {
    throw new Error(`target domain "${domain}" is not allow-listed (perf.do is; add your own with --allow ${domain} or PERFDO_ALLOWED_DOMAINS)`);
  }
  return remote;
}

/**
 * A URL target: scheme, host (name, IPv4 or [IPv6]), optional port and path prefix. Loopback hosts are
 * always allowed (and are `local`: the load never left the machine); any other host only when listed.
 * The namespace's carrier defaults by host: perf.do → subdomain, workers.dev → path, anything else →
 * none (a plain API). No query string or fragment: a request's own path and query follow the prefix.
 */
function urlTarget(spec: string, carrier: Carrier | undefined, options: { allowedDomains?: readonly string[]; checked?: boolean }): Target {
  const m = /^(https?):\/\/(\[[0-9a-f:.]+\]|[^/:?#\s]+)(?::(\d{1,5}))?(\/[^?#\s]*)?$/i.exec(spec);
  if (!m) throw new Error(`target URL "${spec}" is not scheme://host[:port][/path] (no query string, fragment or credentials)`);
  const scheme = (m[1] as string).toLowerCase() as "http" | "https";
  const host = (m[2] as string).toLowerCase();
  const port = m[3] === undefined ? undefined : Number(m[3]);
  const prefix = (m[4] ?? "").replace(/\/+$/, "");
  const loopback = isLoopbackAddress(host);
  const chosen: Carrier = carrier ?? (isAllowedDomain(host) ? "subdomain" : isOneHost(host) ? "path" : "none");
  const target: Target = { kind: loopback ? "local" : "remote", baseDomain: host, scheme };
  if (chosen !== "subdomain") target.carrier = chosen;
  if (port !== undefined) target.port = port;
  if (prefix) target.prefix = prefix;
  if (chosen === "header" || chosen === "none") target.plain = true;
  if (options.checked) return target;
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`target URL "${spec}": port ${port} is not 1-65535`);
  if (chosen === "subdomain" && !isDomainName(host)) throw new Error(`target URL "${spec}": namespaces cannot be subdomains of ${host}; choose --namespace-in path, header or none`);
  if (!loopback && !isDomainName(host) && !/^\d{1,3}(\.\d{1,3}){3}$|^\[/.test(host)) throw new Error(`target URL "${spec}": "${host}" is neither a domain name nor an IP address`);
  if (!loopback && !isAllowedDomain(host, options.allowedDomains)) {
    throw new Error(`target host "${host}" is not allow-listed (loopback and perf.do are; add it with --allow ${host} or PERFDO_ALLOWED_DOMAINS)`);
  }
  return target;
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
    carrier: env.PERFDO_NAMESPACE_IN,
    checked,
  });
}

/** A workers.dev host serves one Worker and has no subdomains of its own: namespaces go in the path. */
function isOneHost(domain: string): boolean {
  return domain.endsWith(".workers.dev");
}

/**
 * Where a namespace lives, without the scheme: `fork.perf.do`, `<host>/@fork` on a one-host target,
 * or the target's host and prefix alone when the namespace travels in a header or nowhere. Requests
 * and WebSocket URLs append their path to it; results record it as the target.
 */
export function hostFor(target: Target, namespace: string): string {
  const origin = target.port === undefined ? target.baseDomain : `${target.baseDomain}:${target.port}`;
  const prefix = target.prefix ?? "";
  const carrier = target.carrier;
  if (carrier === undefined || carrier === "subdomain") return `${namespace}.${origin}${prefix}`;
  return carrier === "path" ? `${origin}${prefix}/@${namespace}` : `${origin}${prefix}`;
}

export function baseUrl(target: Target, namespace: string): string {
  return `${target.scheme}://${hostFor(target, namespace)}`;
}

/** The request header naming the namespace, for a target that carries it so; else undefined. */
export function namespaceHeaders(target: Target, namespace: string): Record<string, string> | undefined {
  return target.carrier === "header" ? { [NAMESPACE_HEADER]: namespace } : undefined;
}

/** The target as one URL, for a script that takes its own (k6's convention: `__ENV.BASE_URL`). */
export function targetUrl(target: Target): string {
  if (target.address) return `http://${target.address}`;
  const origin = target.port === undefined ? target.baseDomain : `${target.baseDomain}:${target.port}`;
  return `${target.scheme}://${origin}${target.prefix ?? ""}`;
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
