// Host → Durable Object namespace. Pure so the Worker's routing is unit-testable in Node.

/**
 * `fork.perf.do` → `fork`; `com.web.perf.do` → `com.web` (the contract's dataset hosts keep their
 * dots). Hosts outside the base domain fall back to their first label so a custom domain still works.
 * Returns null when the host carries no namespace at all (bare base domain, IP, localhost).
 */
export function namespaceFromHost(hostHeader: string | null, baseDomain: string): string | null {
  if (!hostHeader) return null;
  const host = hostHeader.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const base = baseDomain.toLowerCase();
  if (host === base) return null;
  if (host.endsWith(`.${base}`)) return host.slice(0, -(base.length + 1)) || null;
  const labels = host.split(".");
  if (labels.length < 3 || /^\d+$/.test(labels[labels.length - 1] ?? "")) return null;
  return labels[0] || null;
}

/**
 * The namespace carried in the path, for a deployment with one host (workers.dev gives each Worker
 * one: `<worker>.<account>.workers.dev`, no subdomains of its own): `/@fork/things/1` → `fork` and
 * `/things/1`. `@` starts no route of the contract, so the prefix cannot shadow one. Null when the
 * path carries none; `invalid` when it carries something that is not a namespace.
 */
export function namespaceFromPath(pathname: string): { namespace: string; rest: string } | "invalid" | null {
  if (pathname.charCodeAt(1) !== 64 /* "@" */ || pathname.charCodeAt(0) !== 47) return null;
  const end = pathname.indexOf("/", 2);
  const namespace = (end < 0 ? pathname.slice(2) : pathname.slice(2, end)).toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9.-]{0,200}[a-z0-9])?$/.test(namespace)) return "invalid";
  return { namespace, rest: end < 0 ? "/" : pathname.slice(end) };
}

/**
 * A whole URL given as the path (`/https://fork-1.perf.do/state`): what a client sends when it joins
 * its base URL with an absolute URL (perf.do's own fork suite reads the fork so). The request means
 * that URL: its host and path. Null for any other path. It reaches nothing a Host header could not.
 */
export function urlFromPath(pathname: string): { host: string; rest: string } | null {
  const m = /^\/https?:\/\/([^/?#]+)(\/[^?#]*)?$/.exec(pathname);
  return m ? { host: m[1] as string, rest: m[2] ?? "/" } : null;
}

/** The request header that names a namespace, for a deployment reached at one host with no path of its own to spare. */
export const NAMESPACE_HEADER = "x-perfdo-namespace";

/** The namespace a request names in NAMESPACE_HEADER: null without one, `invalid` for a value that is not a namespace. */
export function namespaceFromHeader(value: string | null): string | "invalid" | null {
  if (value === null) return null;
  const namespace = value.trim().toLowerCase();
  return /^[a-z0-9](?:[a-z0-9.-]{0,200}[a-z0-9])?$/.test(namespace) ? namespace : "invalid";
}
