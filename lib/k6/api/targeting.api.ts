// Shard and replica targeting (contract §4) on sharded.perf.do and replicated.perf.do, one place for
// their paths and bodies: used by e2e/targeting.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export function shardedApi(c: NamespaceClient) {
  return {
    /** Read-only SQL on one shard (`?shard=n`); `failover` serves a missing shard from another. */
    query: (shard: number, sql: string, opts: { failover?: boolean; name?: string; meta?: OperationMeta } = {}): JsonResponse =>
      c.post(opts.name ?? "targeting.shard-query", `/query?shard=${shard}${opts.failover ? "&failover=true" : ""}`, { sql }, opts.meta),
    /** The shard a key maps to (`?shardKey=`). */
    byKey: (key: string, shardKey: string): JsonResponse => c.get("targeting.shard-key", `/things/${key}?shardKey=${shardKey}`),
    /** The same SQL on every shard, or on the first `shards`. */
    scatter: (sql: string, shards?: number): JsonResponse => c.post("targeting.scatter", `/query?scatter=true${shards ? `&shards=${shards}` : ""}`, { sql }),
  };
}

export function replicatedApi(c: NamespaceClient) {
  return {
    write: (key: string, value: unknown): JsonResponse => c.post("targeting.data-write", "/data?replica=primary", { key, value }),
    /** `replica`: primary, nearest, or a region; `extra` the rest of the query (simulateFailure, failover). */
    read: (key: string, replica: string | null, name: string, extra = "", meta?: OperationMeta): JsonResponse =>
      c.get(name, `/data/${key}?${[replica ? `replica=${replica}` : "", extra].filter((p) => p).join("&")}`, meta),
    pingRegion: (region: string): JsonResponse => c.get("targeting.ping-region", `/ping?replica=${region}`),
    list: (replica: string, meta?: OperationMeta): JsonResponse => c.get("targeting.data-invalid", `/data?replica=${replica}`, meta),
  };
}
