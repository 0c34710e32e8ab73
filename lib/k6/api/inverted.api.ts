// inverted.perf.do (contract §6): used by e2e/advanced and perf/advanced.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export type InvertedQuery = string | { and?: InvertedQuery[]; or?: InvertedQuery[]; not?: InvertedQuery[]; phrase?: string; slop?: number };
export interface InvertedSearch {
  query: InvertedQuery;
  algorithm?: "bm25";
  limit?: number;
  offset?: number;
  filter?: { field: string; value: unknown };
  facets?: string[];
  highlight?: { fields: string[]; preTag?: string; postTag?: string; fragmentSize?: number };
}
export type InvertedHit = { id: string; score: number; document: Record<string, unknown>; highlights?: Record<string, string> };

export function invertedApi(c: NamespaceClient) {
  return {
    index: (document: Record<string, unknown>): JsonResponse => c.post("inverted.index", "/inverted/index", document),
    batchIndex: (documents: Array<Record<string, unknown>>, name = "inverted.batch-index", meta?: OperationMeta): JsonResponse => c.post(name, "/inverted/batch-index", { documents }, meta),
    search: (q: InvertedSearch, name = "inverted.search", meta?: OperationMeta): JsonResponse => c.post(name, "/inverted/search", { algorithm: "bm25", ...q }, meta),
    stats: (): JsonResponse => c.get("inverted.stats", "/inverted/stats"),
    clear: (): JsonResponse => c.post("inverted.clear", "/inverted/clear"),
  };
}
