// Replication (contract §3), one place for its paths and bodies: used by e2e/replicate and perf/replicate.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";
import { bodyJson } from "../client";
import { pollUntil, type Polled } from "./poll";

export interface ReplicaRead { value: unknown; source: string; servedBy: string; fallback?: boolean }
export interface ReplicaStatus { healthy: boolean; lagMs: number }

export function replicateApi(c: NamespaceClient) {
  const read = (key: string, params = "", name = "replicate.read-replica", meta?: OperationMeta): JsonResponse =>
    c.get(name, `/read?key=${key}${params ? `&${params}` : ""}`, meta);
  const status = (replicaId: string, name = "replicate.status"): JsonResponse => c.get(name, `/replica/status?replicaId=${replicaId}`);
  return {
    url: c.url,
    create: (replicaId: string, mode: "async" | "sync", targetRegion: string, config?: { maxLagMs?: number; batchSize?: number }): JsonResponse =>
      c.post("replicate.create", "/replicate", config ? { mode, replicaId, targetRegion, config } : { mode, replicaId, targetRegion }),
    createMulti: (regions: Array<{ colo: string; replicaId: string }>): JsonResponse => c.post("replicate.multi", "/replicate/multi", { mode: "async", regions }),
    write: (key: string, value: unknown, opts: { waitForReplica?: boolean; targetReplica?: string } = {}, name = "replicate.write"): JsonResponse =>
      c.post(name, "/write", { key, value, ...opts }),
    writeBatch: (items: Array<{ key: string; value: unknown }>, meta?: OperationMeta, name = "replicate.partition-write"): JsonResponse => c.post(name, "/write/batch", { items }, meta),
    /** `params`: the rest of the query, e.g. `replica=r1&allowFallback=true`. */
    read,
    readPrimary: (key: string): JsonResponse => read(key, "", "replicate.read-primary"),
    /** Reads `key` from `replica` every 10 ms until it holds `value` (bounded: `timeoutMs`). */
    readUntil: (key: string, replica: string, value: unknown, timeoutMs = 500): Polled<boolean> =>
      pollUntil(() => (bodyJson(read(key, `replica=${replica}`)) as { value?: unknown } | undefined)?.value === value, (seen) => seen, 10, timeoutMs),
    replicas: (): JsonResponse => c.get("replicate.list", "/replicas"),
    metrics: (): JsonResponse => c.get("replicate.metrics", "/replicate/metrics"),
    status,
    /** Polls the replica's status until it is healthy with no lag; the last answer is the satisfying one. */
    statusUntilCaughtUp: (replicaId: string, name: string, timeoutMs = 5_000): Polled<JsonResponse> =>
      pollUntil(() => status(replicaId, name), (res) => {
        const s = bodyJson(res) as Partial<ReplicaStatus> | undefined;
        return s?.healthy === true && s.lagMs === 0;
      }, 10, timeoutMs),
    partition: (replicaId: string, durationMs: number, name = "replicate.partition"): JsonResponse => c.post(name, "/simulate/partition", { replicaId, durationMs }),
    pause: (replicaId: string): JsonResponse => c.post("replicate.pause", "/replicate/pause", { replicaId }),
    resume: (replicaId: string): JsonResponse => c.post("replicate.resume", "/replicate/resume", { replicaId }),
    failover: (promoteReplica: string, reason: string): JsonResponse => c.post("replicate.failover", "/failover", { promoteReplica, reason }),
    /** The promotion sent together with `reads` reads of `key` (k6's http.batch): reads racing a failover. */
    failoverUnderReads: (promoteReplica: string, reason: string, key: string, reads: number): JsonResponse[] =>
      c.batch([
        { method: "POST", name: "replicate.failover.promote", path: "/failover", body: { promoteReplica, reason } },
        ...Array.from({ length: reads }, () => ({ method: "GET" as const, name: "replicate.failover-read", path: `/read?key=${key}` })),
      ]),
    remove: (replicaId: string): JsonResponse => c.del("replicate.remove", `/replicate/remove?replicaId=${replicaId}`),
  };
}
