// wikipedia. (articles, categories, links, search, the graph, partitions): the routes the Wikipedia
// scenario calls, written once, for perf/wikipedia.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export interface Article { title: string; text: string; categories?: string[]; links?: string[] }

export function wikipediaApi(c: NamespaceClient) {
  const enc = encodeURIComponent;
  return {
    ingest: (articles: Article[], meta?: OperationMeta): JsonResponse => c.post("wikipedia.ingest", "/ingest/articles", { articles }, meta),
    hierarchy: (relationships: Array<{ child: string; parents: string[] }>, meta?: OperationMeta): JsonResponse => c.post("wikipedia.hierarchy", "/ingest/categories/hierarchy", { relationships }, meta),
    /** Whether an article is there (setup's check whether a load is needed; not an operation measured). */
    exists: (title: string): boolean => c.get("wikipedia.setup-check", `/article/${enc(title)}/summary`, { expectStatus: [404] }).status === 200,
    article: (title: string, meta?: OperationMeta): JsonResponse => c.get("wikipedia.article", `/article/${enc(title)}?include=content,categories,links`, meta),
    inboundCount: (title: string, meta?: OperationMeta): JsonResponse => c.get("wikipedia.inbound-count", `/article/${enc(title)}/links/inbound/count`, meta),
    bm25: (query: string, k: number, meta?: OperationMeta): JsonResponse => c.post("wikipedia.bm25", "/search/bm25", { query, k }, meta),
    shortestPath: (from: string, to: string, maxDepth: number, meta?: OperationMeta): JsonResponse => c.post("wikipedia.shortest-path", "/graph/path/shortest", { from, to, maxDepth }, meta),
    ancestors: (category: string, meta?: OperationMeta): JsonResponse => c.get("wikipedia.ancestors", `/graph/category/${enc(category)}/ancestors`, meta),
    categoryArticles: (category: string, limit: number, meta?: OperationMeta): JsonResponse => c.get("wikipedia.category-articles", `/category/${enc(category)}/articles?limit=${limit}`, meta),
  };
}
