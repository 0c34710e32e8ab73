// shard.perf.do (contract §3), one place for its paths and bodies: used by e2e/shard and perf/shard.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export type ShardStrategy = "hash" | "range" | "roundRobin" | "consistent";

export function shardApi(c: NamespaceClient) {
  return {
    create: (namespace: string, strategy: ShardStrategy, shardCount: number, meta?: OperationMeta): JsonResponse =>
      c.post("shard.create", "/shard", { strategy, shardCount, namespace, key: "id" }, meta),
    route: (namespace: string, key: string, strategy?: ShardStrategy, meta?: OperationMeta): JsonResponse =>
      c.post("shard.route", "/route", strategy ? { key, strategy, namespace } : { key, namespace }, meta),
    distribution: (keys: string[], shardCount: number, strategy: ShardStrategy): JsonResponse =>
      c.post("shard.distribution", "/shard/distribution", { keys, shardCount, strategy }),
    counter: (namespace: string): JsonResponse => c.get("shard.counter", `/shard/counter?namespace=${namespace}`),
    write: (namespace: string, id: string, data: Record<string, unknown>, meta?: OperationMeta): JsonResponse =>
      c.post("shard.write", "/write", { id, namespace, data }, meta),
    query: (namespace: string, id: string, meta?: OperationMeta): JsonResponse => c.post("shard.query", "/query", { id, operation: "get", namespace }, meta),
    queryAll: (namespace: string, limit: number, meta?: OperationMeta): JsonResponse => c.post("shard.query-all", "/query/all", { namespace, filter: {}, limit }, meta),
    queryRange: (namespace: string, min: number, max: number): JsonResponse => c.post("shard.query-range", "/query/range", { namespace, min, max }),
    aggregate: (namespace: string, field: string, operations: string[] = ["sum", "count", "avg"], meta?: OperationMeta): JsonResponse =>
      c.post("shard.aggregate", "/aggregate", { namespace, field, operations }, meta),
    rebalance: (namespace: string, newShardCount: number): JsonResponse => c.post("shard.rebalance", "/shard/rebalance", { namespace, newShardCount }),
    count: (namespace: string): JsonResponse => c.get("shard.count", `/count?namespace=${namespace}`),
    unshard: (namespace: string, targetId: string): JsonResponse => c.post("shard.unshard", "/unshard", { namespace, targetId }),
  };
}
