// wiktionary. (entries, search, partitions): the routes the Wiktionary scenario calls, written once,
// for perf/wiktionary.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export function wiktionaryApi(c: NamespaceClient) {
  const enc = encodeURIComponent;
  return {
    ingest: (entries: unknown[], meta?: OperationMeta): JsonResponse => c.post("wiktionary.ingest", "/ingest/batch", { entries }, meta),
    partitionWrite: (letter: string, entries: unknown[], meta?: OperationMeta): JsonResponse => c.post("wiktionary.partition-write", `/partition/${letter}/write`, { entries }, meta),
    /** Whether a word is there (setup's check whether a load is needed). */
    exists: (word: string): boolean => c.get("wiktionary.setup-check", `/word/${enc(word)}`, { expectStatus: [404] }).status === 200,
    word: (word: string, meta?: OperationMeta): JsonResponse => c.get("wiktionary.word", `/word/${enc(word)}`, meta),
    autocomplete: (prefix: string, limit: number, meta?: OperationMeta): JsonResponse => c.post("wiktionary.autocomplete", "/autocomplete", { prefix, limit }, meta),
    search: (query: string, limit: number, meta?: OperationMeta): JsonResponse => c.post("wiktionary.search", "/search", { query, fields: ["definitions"], limit }, meta),
    scatterCount: (meta?: OperationMeta): JsonResponse => c.post("wiktionary.scatter-count", "/scatter/count", { partitions: "all", aggregate: "sum" }, meta),
  };
}
