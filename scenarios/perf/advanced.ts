// The advanced primitives (contract §6) under sustained load: every operation of cache., columnar.,
// temporal., vector. and inverted. once per iteration, against datasets seeded in setup() at the
// contract's sizes: 100K columnar rows (aggregates over all of them), 50K vectors of 384 dimensions
// (PERFDO_VECTOR_COUNT), 5K documents, 1K temporal keys with 10 versions each, 1K cache keys. Seeding
// requests are setup's own operations (`*.seed`), so they never mix with the measured ones.
//
// Correctness under load: every iteration also writes one temporal version and 10 columnar rows;
// teardown() checks that all of them are there (`advanced: nothing written under load was lost`),
// and measures the vector index's recall@10 at full size against a brute-force search.

import { check } from "k6";
import exec from "k6/execution";
import { cacheApi } from "../../lib/k6/api/cache.api";
import { columnarApi } from "../../lib/k6/api/columnar.api";
import { invertedApi } from "../../lib/k6/api/inverted.api";
import { temporalApi } from "../../lib/k6/api/temporal.api";
import { seededVector, vectorApi, type VectorHit } from "../../lib/k6/api/vector.api";
import { bodyJson, namespaceClient } from "../../lib/k6/client";
import { scenarioOptions, target } from "../../lib/k6/options";

// ~20 requests per iteration, several of them scans of 50K vectors or 100K rows, on one Worker.
// Few VUs: k6 hands iterations to idle VUs in turn, and the local Worker (workerd) closes a keep-alive
// connection idle for 5 s; with 10 VUs at 2/s each VU would idle ~5 s per host and race that close.
export const options = scenarioOptions({ profile: "sustain", defaults: { rate: 2, vus: 3 }, extra: { setupTimeout: "10m", teardownTimeout: "5m" } });

const VECTORS = Math.max(100, Number(__ENV.PERFDO_VECTOR_COUNT ?? 50_000));
const COLUMNAR_ROWS = 100_000;
const DOCUMENTS = 5_000;
const TEMPORAL_KEYS = 1_000;
const TEMPORAL_VERSIONS = 10;
const CACHE_KEYS = 1_000;
const ROWS_PER_ITERATION = 10;
const T0 = 1_700_000_000_000;
const WORDS = "durable object worker edge state storage queue cache vector search index stream window event actor region shard replica colo latency".split(" ");

const cache = cacheApi(namespaceClient(target, "cache"));
const columnar = columnarApi(namespaceClient(target, "columnar"));
const temporal = temporalApi(namespaceClient(target, "temporal"));
const vector = vectorApi(namespaceClient(target, "vector"));
const inverted = invertedApi(namespaceClient(target, "inverted"));

const body = <T>(res: Parameters<typeof bodyJson>[0]): T => (bodyJson(res) ?? {}) as T;
const row = (i: number) => ({ id: i, region: ["us", "eu", "ap", "sa"][i % 4], amount: (i * 7919) % 1000, active: i % 3 === 0 });
const words = (i: number, n: number): string => Array.from({ length: n }, (_, j) => WORDS[(i * 31 + j * 17 + ((i >> j) & 3)) % WORDS.length]).join(" ");
/** Vector components rounded to 4 decimals: the seed's JSON is a third the size, the data no less random. */
const compact = (v: number[]): number[] => v.map((x) => Math.round(x * 1e4) / 1e4);

interface Seeded {
  columnarRows: number;
}

declare const console: { log(message: string): void };

export function setup(): Seeded {
  cache.clear();
  columnar.clear();
  temporal.clear();
  vector.clear();
  inverted.clear();
  for (let i = 0; i < CACHE_KEYS; i += 1) cache.set(`k${i}`, { i }, {}, "cache.seed");
  for (let i = 0; i < COLUMNAR_ROWS; i += 1000) columnar.batchInsert(Array.from({ length: 1000 }, (_, j) => row(i + j)), ["id", "region"], "columnar.seed");
  for (let k = 0; k < TEMPORAL_KEYS; k += 100) {
    const entries = [];
    for (let key = k; key < k + 100; key++) for (let v = 0; v < TEMPORAL_VERSIONS; v++) entries.push({ key: `t${key}`, value: v, timestamp: T0 + v * 1000 });
    temporal.batchPut(entries, "temporal.seed");
  }
  for (let i = 0; i < VECTORS; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(i + 500, VECTORS); j++) batch.push({ id: `v${j}`, vector: compact(seededVector(j + 1)), metadata: { group: j % 8 } });
    vector.batchInsert(batch, "vector.seed");
  }
  for (let i = 0; i < DOCUMENTS; i += 500) {
    inverted.batchIndex(Array.from({ length: 500 }, (_, j) => ({ id: `d${i + j}`, title: words(i + j, 3), content: words(i + j + 7, 40), category: ["docs", "blog", "api"][(i + j) % 3] })), "inverted.seed");
  }
  const stats = body<{ rowCount: number }>(columnar.stats());
  check(stats.rowCount, { "advanced: setup seeded every columnar row": (n) => n === COLUMNAR_ROWS });
  check(body<{ vectorCount: number }>(vector.stats()).vectorCount, { "advanced: setup seeded every vector": (n) => n === VECTORS });
  return { columnarRows: stats.rowCount };
}

export default function (): void {
  const n = exec.scenario.iterationInTest;
  // cache
  cache.get(`k${n % CACHE_KEYS}`, "cache.get-hit");
  cache.get(`missing-${n}`, "cache.get-miss");
  const etag = body<{ etag: string }>(cache.set(`w${n}`, { n }, { ttl: 60_000, dependencies: [`p${n}`] }, "cache.set-ttl")).etag;
  cache.cas(`w${n}`, { n, swapped: true }, etag);
  cache.invalidateCascade(`p${n}`);
  // columnar: aggregates over every row, a bloom lookup, and this iteration's rows
  columnar.aggregate("SUM", "amount");
  columnar.aggregate("AVG", "amount", { column: "region", operator: "=", value: "eu" });
  columnar.aggregate("COUNT", "id", { column: "amount", operator: ">", value: 500 });
  columnar.queryBloom("id", n % 2 === 0 ? n % COLUMNAR_ROWS : COLUMNAR_ROWS + n);
  columnar.batchInsert(Array.from({ length: ROWS_PER_ITERATION }, (_, j) => row(COLUMNAR_ROWS + n * ROWS_PER_ITERATION + j)));
  // temporal
  const key = `t${n % TEMPORAL_KEYS}`;
  temporal.getAt(key, T0 + 4500);
  temporal.query(key, T0 + 2000, T0 + 7000);
  temporal.put("load", n, T0 + n);
  // vector: k-NN at full size, per metric, and with a metadata filter
  const q = seededVector(1_000_000 + n);
  vector.search({ vector: q, k: 10 }, "vector.search-cosine", { datasetSize: VECTORS });
  vector.search({ vector: q, k: 10, metric: "euclidean" }, "vector.search-euclidean", { datasetSize: VECTORS });
  vector.search({ vector: q, k: 10, metric: "dot" }, "vector.search-dot", { datasetSize: VECTORS });
  vector.search({ vector: q, k: 10, filter: { field: "group", operator: "eq", value: n % 8 } }, "vector.search-filtered", { datasetSize: VECTORS });
  // inverted
  inverted.search({ query: words(n, 2), limit: 10 }, "inverted.search-bm25");
  inverted.search({ query: { and: [WORDS[n % WORDS.length] as string, WORDS[(n + 3) % WORDS.length] as string], not: [WORDS[(n + 5) % WORDS.length] as string] } }, "inverted.search-boolean");
  inverted.search({ query: { phrase: words(n + 7, 2), slop: 2 } }, "inverted.search-phrase");
  inverted.search({ query: words(n, 1), facets: ["category"], highlight: { fields: ["content"], fragmentSize: 80 } }, "inverted.search-facets");
}

export function teardown(seeded: Seeded): void {
  // Nothing lost: iteration n wrote version T0+n of the key "load" and columnar rows with ids from
  // COLUMNAR_ROWS + 10n. Every iteration from 0 to the highest seen must be there, exactly once.
  // (k6 does not tell teardown how many iterations ran; a lost write at the very end would pass.)
  const versions = body<{ versions: Array<{ value: number }> }>(temporal.query("load", T0, T0 + 10_000_000)).versions ?? [];
  const iterations = versions.length;
  check(versions, { "advanced: nothing written under load was lost (temporal versions 0..n, each once)": (v) => v.length > 0 && v.every((x, i) => x.value === i) });
  const rows = body<{ result: number }>(columnar.aggregate("COUNT", "id", { column: "id", operator: ">=", value: seeded.columnarRows }, "columnar.check")).result;
  check(rows, { "advanced: nothing written under load was lost (columnar rows)": (r) => r === iterations * ROWS_PER_ITERATION });
  // Recall@10 of the index against a brute-force search, over a few queries at full size.
  let found = 0;
  const QUERIES = 5;
  for (let i = 0; i < QUERIES; i++) {
    const q = seededVector(2_000_000 + i);
    const got = body<{ results: VectorHit[] }>(vector.search({ vector: q, k: 10 }, "vector.recall-index")).results.map((r) => r.id);
    const want = body<{ results: VectorHit[] }>(vector.search({ vector: q, k: 10, exact: true }, "vector.recall-exact")).results.map((r) => r.id);
    found += want.filter((id) => got.includes(id)).length;
  }
  const recall = found / (QUERIES * 10);
  console.log(`perf/advanced: vector recall@10 ${recall.toFixed(3)} at ${VECTORS} vectors (int8 scan + exact re-rank, against brute force)`);
  check(recall, { "advanced: vector recall@10 is at least 0.95 at full size": (r) => r >= 0.95 });
}
