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
