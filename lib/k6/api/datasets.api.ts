// naics., unspsc., onet. and standards. (contract §10): import and query paths, written once, for
// perf/datasets (and any E2E of the datasets).

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export type Table = "industries" | "commodities" | "occupations" | "tasks" | "tools";

export function datasetsApi(c: NamespaceClient) {
  const q = (k: string, v: string | number) => `${k}=${encodeURIComponent(String(v))}`;
  return {
    importBatch: (table: Table, rows: unknown[], name = `datasets.seed-${table}`): JsonResponse => c.post(name, `/${table}/batch`, { rows }),
    stats: (): JsonResponse => c.get("datasets.stats", "/datasets/stats"),
    sql: (name: string, sql: string, params: unknown[], meta?: OperationMeta): JsonResponse => c.post(name, "/datasets/query", { sql, params }, meta),
    crossQuery: (name: string, sql: string, params: unknown[], meta?: OperationMeta): JsonResponse => c.post(name, "/query", { sql, params }, meta),
    naics: (code: string, meta?: OperationMeta): JsonResponse => c.get("naics.get", `/naics/${encodeURIComponent(code)}`, meta),
    unspsc: (code: string, meta?: OperationMeta): JsonResponse => c.get("unspsc.get", `/unspsc/${encodeURIComponent(code)}`, meta),
    tasks: (occupation: string, minImportance: number, meta?: OperationMeta): JsonResponse => c.get("onet.tasks", `/tasks?${q("occupation", occupation)}&${q("minImportance", minImportance)}`, meta),
    tools: (by: "occupation" | "category" | "unspsc", value: string, meta?: OperationMeta): JsonResponse => c.get(`onet.tools-by-${by}`, `/tools?${q(by, value)}`, meta),
    related: (occupation: string, meta?: OperationMeta): JsonResponse => c.get("onet.related", `/occupations/${encodeURIComponent(occupation)}/related?via=tools`, meta),
  };
}
