// vector.perf.do (contract §6): used by e2e/advanced and perf/advanced.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export const DIMENSIONS = 384;
export type VectorFilter = { field: string; operator?: string; value: unknown } | { and: VectorFilter[] } | { or: VectorFilter[] };
export interface VectorSearch {
  vector: number[];
  k?: number;
  metric?: "cosine" | "euclidean" | "dot";
  filter?: VectorFilter;
  maxDistance?: number;
  /** Brute-force float32 search instead of the index: the reference for recall. */
  exact?: boolean;
}
export type VectorHit = { id: string; score: number; distance: number; metadata: Record<string, unknown> };

/** A deterministic pseudo-random vector (mulberry32 of the seed), components in [-1, 1). */
export function seededVector(seed: number): number[] {
  let a = seed >>> 0;
  const out = new Array<number>(DIMENSIONS);
  for (let i = 0; i < DIMENSIONS; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

export function vectorApi(c: NamespaceClient) {
  return {
    insert: (id: string, vector: number[], metadata: Record<string, unknown> = {}, meta?: OperationMeta): JsonResponse => c.post("vector.insert", "/vector/insert", { id, vector, metadata }, meta),
    batchInsert: (vectors: Array<{ id: string; vector: number[]; metadata?: Record<string, unknown> }>, name = "vector.batch-insert", meta?: OperationMeta): JsonResponse =>
      c.post(name, "/vector/batch-insert", { vectors }, meta),
    search: (q: VectorSearch, name = `vector.search-${q.metric ?? "cosine"}${q.filter ? "-filtered" : ""}`, meta?: OperationMeta): JsonResponse => c.post(name, "/vector/search", q, meta),
    stats: (): JsonResponse => c.get("vector.stats", "/vector/stats"),
    clear: (): JsonResponse => c.post("vector.clear", "/vector/clear"),
  };
}
