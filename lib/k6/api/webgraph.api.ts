// web. (the web crawl graph) and graph. (relationships between typed ids): the routes the dataset
// scenarios call, written once, for perf/webgraph and e2e/datasets.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export interface WebEdge { from: string; to: string; weight?: number }

export function webgraphApi(c: NamespaceClient) {
  const enc = encodeURIComponent;
  return {
    ingestWat: (records: unknown[], meta?: OperationMeta): JsonResponse => c.post("web.ingest-wat", "/ingest/wat", { records }, meta),
    addEdges: (edges: WebEdge[], meta?: OperationMeta): JsonResponse => c.post("web.edges-batch", "/edges/batch", { edges }, meta),
    outLinks: (host: string, query = "sort=weight&order=desc&limit=50", meta?: OperationMeta): JsonResponse => c.get("web.edges-from", `/edges/from/${enc(host)}?${query}`, meta),
    backlinkCount: (host: string, meta?: OperationMeta): JsonResponse => c.get("web.backlink-count", `/edges/to/${enc(host)}/count`, meta),
    pageRank: (maxIterations: number, meta?: OperationMeta): JsonResponse => c.post("web.pagerank-compute", "/algorithms/pagerank/compute", { dampingFactor: 0.85, maxIterations, convergenceThreshold: 1e-6 }, meta),
    pageRankTop: (limit: number, meta?: OperationMeta): JsonResponse => c.get("web.pagerank-top", `/algorithms/pagerank/top?limit=${limit}`, meta),
    hits: (iterations: number, meta?: OperationMeta): JsonResponse => c.post("web.hits-compute", "/algorithms/hits/compute", { iterations }, meta),
    topAuthorities: (limit: number, meta?: OperationMeta): JsonResponse => c.get("web.hits-top-authorities", `/algorithms/hits/top-authorities?limit=${limit}`, meta),
    components: (meta?: OperationMeta): JsonResponse => c.post("web.components", "/algorithms/components/wcc", {}, meta),
    subgraph: (pattern: string, meta?: OperationMeta): JsonResponse => c.post("web.subgraph", "/algorithms/subgraph/extract", { pattern, includeOutbound: true }, meta),
    pathLength: (sampleSize: number, meta?: OperationMeta): JsonResponse => c.post("web.avg-path-length", "/algorithms/stats/avg-path-length", { sampleSize }, meta),
  };
}

export function graphApi(c: NamespaceClient) {
  const enc = encodeURIComponent;
  return {
    relate: (from: string, verb: string, to: string, meta?: OperationMeta): JsonResponse => c.post("graph.relate", "/relationships", { from, verb, to }, meta),
    from: (id: string, verb: string, meta?: OperationMeta): JsonResponse => c.get("graph.from", `/relationships/from/${enc(id)}?verb=${enc(verb)}`, meta),
    to: (id: string, meta?: OperationMeta): JsonResponse => c.get("graph.to", `/relationships/to/${enc(id)}`, meta),
    // standards.: the datasets walked as one graph
    shortestPath: (from: { type: string; id: string }, to: { type: string; id: string }, maxHops: number, meta?: OperationMeta): JsonResponse => c.post("standards.shortest-path", "/graph/shortest-path", { from, to, maxHops }, meta),
    similar: (occupation: string, topN: number, meta?: OperationMeta): JsonResponse => c.post("standards.similarity", "/graph/similarity", { occupation, factors: ["tasks", "tools"], topN }, meta),
  };
}
