// columnar.perf.do (contract §6): used by e2e/advanced and perf/advanced.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export type ColumnarFilter = { column: string; operator: string; value: unknown };

export function columnarApi(c: NamespaceClient) {
  return {
    batchInsert: (rows: Array<Record<string, unknown>>, buildBloomFilter?: string[], name = "columnar.batch-insert", meta?: OperationMeta): JsonResponse =>
      c.post(name, "/columnar/batch-insert", buildBloomFilter ? { rows, buildBloomFilter } : { rows }, meta),
    aggregate: (operation: "SUM" | "AVG" | "COUNT" | "MIN" | "MAX", column: string, filter?: ColumnarFilter, name = `columnar.${operation.toLowerCase()}${filter ? "-filtered" : ""}`, meta?: OperationMeta): JsonResponse =>
      c.post(name, "/columnar/aggregate", filter ? { operation, column, filter } : { operation, column }, meta),
    queryBloom: (column: string, value: unknown, limit = 10, meta?: OperationMeta): JsonResponse => c.post("columnar.query-bloom", "/columnar/query-bloom", { column, value, limit }, meta),
    stats: (): JsonResponse => c.get("columnar.stats", "/columnar/stats"),
    clear: (): JsonResponse => c.post("columnar.clear", "/columnar/clear"),
  };
}
