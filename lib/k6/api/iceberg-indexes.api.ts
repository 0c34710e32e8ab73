// The indexes beside Iceberg tables on iceberg. (bloom, range, inverted, vector, search manifests):
// the routes the index scenarios call, written once, for perf/iceberg-indexes and e2e/iceberg-indexes.

import type { JsonResponse, NamespaceClient, OperationMeta } from "../client";

export interface VectorItem { id: string; vector: number[] }

export function icebergIndexesApi(c: NamespaceClient) {
  return {
    bloomCreate: (namespace: string, items: string[], fpr: number, meta?: OperationMeta): JsonResponse => c.post("bloom.create", "/iceberg/bloom/create", { namespace, items, fpr }, meta),
    bloomContains: (namespace: string, item: string, meta?: OperationMeta): JsonResponse => c.post("bloom.contains", "/iceberg/bloom/contains", { namespace, item }, meta),
    bloomContainsBatch: (namespace: string, items: string[], meta?: OperationMeta): JsonResponse => c.post("bloom.contains-batch", "/iceberg/bloom/contains-batch", { namespace, items }, meta),
    bloomTestAbsent: (namespace: string, items: string[], meta?: OperationMeta): JsonResponse => c.post("bloom.test-batch", "/iceberg/bloom/test-batch", { namespace, items }, meta),
    rangeBuild: (namespace: string, data: Array<Record<string, unknown>>, columns: string[], blockSize: number, meta?: OperationMeta): JsonResponse => c.post("range.build", "/iceberg/range/build", { namespace, data, columns, blockSize }, meta),
    rangePrune: (namespace: string, column: string, min: number | string, max: number | string, meta?: OperationMeta): JsonResponse => c.post("range.prune", "/iceberg/range/prune", { namespace, column, min, max }, meta),
    invertedBatch: (namespace: string, documents: Array<{ id: string; text: string }>, meta?: OperationMeta): JsonResponse => c.post("inverted.batch", "/iceberg/inverted/batch", { namespace, documents }, meta),
    invertedQuery: (namespace: string, operation: "AND" | "OR" | "NOT", terms: string[], meta?: OperationMeta): JsonResponse => c.post("inverted.query", "/iceberg/inverted/query", { namespace, operation, terms }, meta),
    vectorBuild: (namespace: string, vectors: VectorItem[], quantization: "float32" | "int8", meta?: OperationMeta): JsonResponse => c.post("vector.build", "/iceberg/vector/build", { namespace, vectors, metric: "cosine", quantization }, meta),
    vectorSearch: (namespace: string, vector: number[], k: number, meta?: OperationMeta): JsonResponse => c.post("vector.search", "/iceberg/vector/search", { namespace, vector, k }, meta),
    vectorPersist: (namespace: string, destination: string, chunkSize: number, meta?: OperationMeta): JsonResponse => c.post("vector.persist", "/iceberg/vector/persist", { namespace, destination, chunkSize }, meta),
    vectorSearchStreaming: (source: string, vector: number[], k: number, meta?: OperationMeta): JsonResponse => c.post("vector.search-streaming", "/iceberg/vector/search-streaming", { source, vector, k }, meta),
    manifestCreateFromIndexes: (namespace: string, base: string, sourceIndexes: Array<{ namespace: string; type: string; field: string }>, files: string[], meta?: OperationMeta): JsonResponse =>
      c.post("manifest.create-from-indexes", "/iceberg/manifest/create-from-indexes", { namespace, base, sourceIndexes, data: { files } }, meta),
    manifestDiscover: (namespace: string, meta?: OperationMeta): JsonResponse => c.get("manifest.discover", `/iceberg/manifest/discover?namespace=${encodeURIComponent(namespace)}`, meta),
    manifestBuildUrl: (namespace: string, indexType: string, field: string, meta?: OperationMeta): JsonResponse => c.post("manifest.build-url", "/iceberg/manifest/build-url", { namespace, indexType, field }, meta),
  };
}
