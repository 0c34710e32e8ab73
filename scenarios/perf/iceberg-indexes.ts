// The indexes beside Iceberg tables under load (iceberg.): setup() builds one of each in the iceberg
// object (a bloom filter of BLOOM_VALUES values, a range index over RANGE_ROWS rows in blocks of 1,000,
// an inverted index of DOCS documents, a flat vector index of VECTORS 384-dimension vectors, persisted
// to the bucket in chunks, and a search manifest naming them); iterations then query them as a reader
// planning a scan does: a bloom test of one key and of a batch, a range prune, an AND of two terms, an
// exact nearest-neighbour search, the manifest's index list, and every tenth iteration a search
// streamed from the bucket. Each operation carries `datasetSize` (the index's values, rows, documents
// or vectors). Values and vectors are generated (docs/scenarios.md), so every answer is checked.

import { check } from "k6";
import exec from "k6/execution";
import { icebergIndexesApi } from "../../lib/k6/api/iceberg-indexes.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 10, vus: 5 }, extra: { setupTimeout: "5m" } });

const BLOOM_VALUES = 100_000;
const RANGE_ROWS = 100_000;
const DOCS = 6_400;
const VECTORS = 1_000;
const DIMS = 384;
const NAMES = { bloom: "perf-bloom", range: "perf-range", inverted: "perf-inverted", vector: "perf-vector", manifest: "perf-manifest" };
const STREAMED = "r2://indexes/vector/perf-vector.vectors";
const TOPICS = ["storage", "network", "compute", "billing", "search", "queues", "cache", "analytics"];
const ix = icebergIndexesApi(namespaceClient(target, "iceberg"));
const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;

/** Vector i: reproducible pseudo-random components in [-1, 1], so an iteration can rebuild any vector. */
const vec = (i: number): number[] => Array.from({ length: DIMS }, (_, d) => {
  const x = Math.sin(i * 12.9898 + d * 78.233) * 43_758.5453;
  return 2 * (x - Math.floor(x)) - 1;
});

export function setup(): void {
  // Already built (a deployment, or a run before on this target): the last index setup makes is there.
  if (ix.manifestDiscover(NAMES.manifest, { expectStatus: [404] }).status === 200) return;
  ix.bloomCreate(NAMES.bloom, Array.from({ length: BLOOM_VALUES }, (_, i) => `key-${i}`), 0.01);
  ix.rangeBuild(NAMES.range, Array.from({ length: RANGE_ROWS }, (_, i) => ({ id: i, value: i })), ["value"], 1_000);
  for (let start = 0; start < DOCS; start += 3_200) {
    ix.invertedBatch(NAMES.inverted, Array.from({ length: 3_200 }, (_, k) => {
      const i = start + k;
      return { id: `doc-${String(i).padStart(5, "0")}`, text: `${TOPICS[i % 8]} ${TOPICS[(i >> 3) % 8]} report ${i}` };
    }));
  }
  ix.vectorBuild(NAMES.vector, Array.from({ length: VECTORS }, (_, i) => ({ id: `v${i}`, vector: vec(i) })), "float32");
  ix.vectorPersist(NAMES.vector, STREAMED, 256 * 1024);
  ix.manifestCreateFromIndexes(NAMES.manifest, "cdn.example.com/perf/v1", [
    { namespace: NAMES.bloom, type: "bloom", field: "key" },
    { namespace: NAMES.range, type: "range", field: "value" },
    { namespace: NAMES.inverted, type: "inverted", field: "text" },
  ], ["data/part-0000.parquet"]);
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  const key = `key-${(n * 7_919) % BLOOM_VALUES}`;
  const hit = body<{ mightContain: boolean }>(ix.bloomContains(NAMES.bloom, key, { datasetSize: BLOOM_VALUES }));
  check(hit, { "bloom: a value added is never missed": (r) => r.mightContain === true });
  const batch = body<{ positiveCount: number }>(ix.bloomContainsBatch(NAMES.bloom, Array.from({ length: 100 }, (_, k) => `key-${(n * 100 + k) % BLOOM_VALUES}`), { datasetSize: BLOOM_VALUES }));
  check(batch, { "bloom: a batch of 100 added values, all found": (r) => r.positiveCount === 100 });
  const lo = (n * 3_001) % (RANGE_ROWS - 5_000);
  const pruned = body<{ matchingBlocks: number; totalBlocks: number }>(ix.rangePrune(NAMES.range, "value", lo, lo + 4_999, { datasetSize: RANGE_ROWS }));
  // 5,000 consecutive values span 5 blocks of 1,000, or 6 when they start inside a block.
  check(pruned, { "range: a range keeps only the blocks it overlaps": (r) => r.totalBlocks === RANGE_ROWS / 1_000 && r.matchingBlocks === (lo % 1_000 === 0 ? 5 : 6) });
  const [a, b] = [n % 8, (n >> 3) % 8];
  const docs = body<{ count: number }>(ix.invertedQuery(NAMES.inverted, "AND", [TOPICS[a] as string, TOPICS[b] as string], { datasetSize: DOCS }));
  // Document i is tagged with topics i % 8 and (i >> 3) % 8: each of the 64 ordered pairs tags DOCS / 64
  // documents. Two topics a ≠ b are both on the documents of (a, b) and (b, a); one topic is on the
  // documents with it first or second, 2 × DOCS / 8 less the DOCS / 64 with it in both places.
  check(docs, { "inverted: AND of two topics counts the documents tagged with both": (r) => r.count === (a === b ? (2 * DOCS) / 8 - DOCS / 64 : (2 * DOCS) / 64) });
  const q = n % VECTORS;
  const near = body<{ results: Array<{ id: string }> }>(ix.vectorSearch(NAMES.vector, vec(q), 10, { datasetSize: VECTORS }));
  check(near, { "vector: an exact search finds the query's own vector first": (r) => r.results?.[0]?.id === `v${q}` });
  ix.manifestDiscover(NAMES.manifest);
  if (n % 10 === 0) {
    const streamed = body<{ results: Array<{ id: string }>; searched: number }>(ix.vectorSearchStreaming(STREAMED, vec(q), 10, { datasetSize: VECTORS }));
    check(streamed, { "vector: a search streamed from the bucket reads every vector": (r) => r.searched === VECTORS && r.results?.[0]?.id === `v${q}` });
  }
}
