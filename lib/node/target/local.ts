import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import { startR2Sidecar } from "./r2-sidecar";
import { EXIT, PerfdoError } from "../errors";
import { childrenNamed } from "../run/resources";
import { startWorkerd } from "./workerd";
import type { Fault } from "../../../deploy/src/faults";

// The embedded local target: the reference Worker (build/deploy/worker.mjs) in workerd, the
// production runtime, on a free loopback port. By default workerd is driven directly with a config
// written by ./workerd.ts: miniflare (kept as `backend: "miniflare"`, and for the route tests'
// dispatchFetch) puts its own entry Worker in front of every request, which `npm run bench:target`
// measured as most of the target's CPU above the floor. Not `wrangler dev`: it measured ~7x slower.

export interface LocalTarget {
  /** host:port on loopback that k6's `hosts` pins `*.perf.do` to. */
  address: string;
  /** workerd's process id (for resource sampling). */
  pid: number;
  /** The Worker's own request counters ("namespace METHOD /route/:id" → count). */
  served(): Promise<Record<string, number>>;
  resetServed(): Promise<void>;
  stop(): Promise<void>;
}

export const COMPATIBILITY_DATE = "2026-04-01";
const HEALTH_TIMEOUT_MS = 30_000;

async function waitForHealth(base: string, timeoutMs: number, token?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000), headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new PerfdoError(`local target did not answer /health within ${timeoutMs} ms (${lastError})`, EXIT.runFailed);
}

export interface LocalTargetOptions {
  port?: number;
  /** Milliseconds the Worker waits before every namespace request: a known slowdown for tests. */
  delayMs?: number;
  /** A deliberate fault (deploy/src/faults.ts), to prove the E2E suites catch it. */
  fault?: Fault;
  /**
   * The caller handles SIGINT/SIGTERM itself. miniflare installs handlers that dispose workerd and
   * exit at once, which would cut a run short before k6 stops and its samples are saved; with this
   * set they are removed (its exit hook, which stops workerd when the process exits, stays).
   */
  ownSignals?: boolean;
  /** The base domain whose subdomains name namespaces (default perf.do). */
  baseDomain?: string;
  /** Answer with a `cf-ray` header ending in this colo, as Cloudflare's edge does (rehearsing a remote target). */
  cfRayColo?: string;
  /** A bearer token every request must carry, as a deployment's PERFDO_TOKEN secret (deploy/src/access.ts). */
  token?: string;
  /** workerd directly (default) or through miniflare (for comparison: npm run bench:target). */
  backend?: "workerd" | "miniflare";
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

interface Started {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function viaMiniflare(workerScript: string, bindings: Record<string, string>, options: LocalTargetOptions): Promise<Started> {
  const before = new Map(SIGNALS.map((sig) => [sig, new Set(process.listeners(sig))]));
  const running = new Set(childrenNamed(process.pid, "workerd"));
  const mf = new Miniflare({
    modules: true,
    scriptPath: workerScript,
    modulesRoot: dirname(workerScript),
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port: options.port ?? 0,
    durableObjects: { PERF_DO: { className: "PerfDO", useSQLite: true } },
    r2Buckets: ["ICEBERG_LOCAL"],
    r2Persist: false,
    bindings,
    // In memory: every run starts from empty objects, like a fresh deployment.
    durableObjectsPersist: false,
  });
  let url: URL;
  try {
    url = await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => undefined);
    throw new PerfdoError(`local target failed to start: ${(err as Error).message.split("\n")[0]}`, EXIT.runFailed);
  }
  if (options.ownSignals) {
    for (const sig of SIGNALS) for (const l of process.listeners(sig)) if (!before.get(sig)?.has(l)) process.off(sig, l);
  }
  // Its workerd: the child that was not there before (another target of this process may be running).
  const pid = childrenNamed(process.pid, "workerd").find((p) => !running.has(p)) ?? 0;
  return { port: Number(url.port), pid, stop: () => mf.dispose() };
}

/** workerd with the config of ./workerd.ts, and miniflare's R2 beside it for the Iceberg tables (./r2-sidecar.ts). */
async function viaWorkerd(workerScript: string, bindings: Record<string, string>, options: LocalTargetOptions): Promise<Started> {
  const before = new Map(SIGNALS.map((sig) => [sig, new Set(process.listeners(sig))]));
  const r2 = await startR2Sidecar(COMPATIBILITY_DATE);
  if (options.ownSignals) {
    for (const sig of SIGNALS) for (const l of process.listeners(sig)) if (!before.get(sig)?.has(l)) process.off(sig, l);
  }
  try {
    const workerd = await startWorkerd({ script: workerScript, compatibilityDate: COMPATIBILITY_DATE, text: bindings, durableObjects: { PERF_DO: "PerfDO" }, external: { ICEBERG_STORE: r2.address } }, { port: options.port });
    return { port: workerd.port, pid: workerd.pid, stop: async () => (await workerd.stop(), await r2.stop()) };
  } catch (err) {
    await r2.stop().catch(() => undefined);
    throw err;
  }
}

export async function startLocalTarget(workerScript: string, options: LocalTargetOptions = {}): Promise<LocalTarget> {
  const bindings = {
    PERFDO_LOCAL: "1",
    BASE_DOMAIN: options.baseDomain ?? "perf.do",
    PERFDO_DELAY_MS: String(options.delayMs ?? 0),
    PERFDO_FAULT: options.fault ?? "",
    PERFDO_CF_RAY_COLO: options.cfRayColo ?? "",
    ...(options.token ? { PERFDO_TOKEN: options.token } : {}),
  };
  const started: Started = options.backend === "miniflare" ? await viaMiniflare(workerScript, bindings, options) : await viaWorkerd(workerScript, bindings, options);
  const base = `http://127.0.0.1:${started.port}`;
  // A pooled keep-alive socket may have been closed by workerd while the caller was busy: retry once.
  const admin = async (init?: RequestInit): Promise<Response> => {
    try {
      return await fetch(`${base}/_perfdo/requests`, init);
    } catch {
      return fetch(`${base}/_perfdo/requests`, init);
    }
  };
  try {
    await waitForHealth(base, HEALTH_TIMEOUT_MS, options.token);
  } catch (err) {
    await started.stop().catch(() => undefined);
    throw err;
  }
  return {
    address: `127.0.0.1:${started.port}`,
    pid: started.pid,
    async served() {
      const res = await admin();
      return ((await res.json()) as { requests: Record<string, number> }).requests;
    },
    async resetServed() {
      await admin({ method: "DELETE" });
    },
    stop: () => started.stop(),
  };
}
