// wiki. (Wikidata: entities, statements, edges, labels): the routes the Wikidata scenario calls,
// written once, for perf/wikidata.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export function wikidataApi(c: NamespaceClient) {
  const enc = encodeURIComponent;
  return {
    /** Whether an entity is there (setup's check whether a load is needed). */
    exists: (id: string): boolean => c.get("wiki.setup-check", `/entities/${enc(id)}`, { expectStatus: [404] }).status === 200,
    ingest: (entities: unknown[], meta?: OperationMeta): JsonResponse => c.post("wiki.ingest", "/ingest/batch", { entities }, meta),
    entity: (id: string, meta?: OperationMeta): JsonResponse => c.get("wiki.entity", `/entities/${enc(id)}`, meta),
    statements: (query: string, meta?: OperationMeta): JsonResponse => c.get("wiki.statements", `/statements?${query}`, meta),
    edgesFrom: (id: string, meta?: OperationMeta): JsonResponse => c.get("wiki.edges-from", `/graph/edges/from/${enc(id)}`, meta),
    edgesTo: (id: string, meta?: OperationMeta): JsonResponse => c.get("wiki.edges-to", `/graph/edges/to/${enc(id)}`, meta),
    labelSearch: (prefix: string, meta?: OperationMeta): JsonResponse => c.get("wiki.label-search", `/labels/search?q=${enc(prefix)}*&language=en`, meta),
  };
}
