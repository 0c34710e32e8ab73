// E2E: the advanced primitives (contract §6) on cache., columnar., temporal., vector. and inverted.,
// every assertion a named check. One VU (smoke): each area starts from /clear, as the contract's
// clients do. Gate: 100 % of checks (thresholds/e2e/advanced.json); `npm run bench:e2e`.

import exec from "k6/execution";
import { sleep } from "k6";
import { cacheApi, type CacheEntry } from "../../lib/k6/api/cache.api";
import { columnarApi } from "../../lib/k6/api/columnar.api";
import { invertedApi, type InvertedHit } from "../../lib/k6/api/inverted.api";
import { pollUntil } from "../../lib/k6/api/poll";
import { temporalApi } from "../../lib/k6/api/temporal.api";
import { seededVector, vectorApi, type VectorHit } from "../../lib/k6/api/vector.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const cache = cacheApi(namespaceClient(target, "cache"));
const columnar = columnarApi(namespaceClient(target, "columnar"));
const temporal = temporalApi(namespaceClient(target, "temporal"));
const vector = vectorApi(namespaceClient(target, "vector"));
const inverted = invertedApi(namespaceClient(target, "inverted"));

function cacheChecks(run: string): void {
  cache.clear();
  const a = `a-${run}`;
  const b = `b-${run}`;
  const c = `c-${run}`;
  const set = body<{ etag: string }>(cache.set(a, { n: 1 }));
  expect("cache", "set returns an etag", typeof set.etag === "string" && set.etag.length > 0);
  const hit = body<CacheEntry>(cache.get(a, "cache.get-hit"));
  expect("cache", "get after set is a hit with the value and etag", hit.hit === true && (hit.value as { n: number }).n === 1 && hit.etag === set.etag);
  expect("cache", "a missing key is a miss (200, hit false)", body<CacheEntry>(cache.get(`none-${run}`, "cache.get-miss")).hit === false);
  // Dependencies: c depends on b, b on a; invalidating a takes all three.
  cache.set(b, 2, { dependencies: [a] });
  cache.set(c, 3, { dependencies: [b] });
  const cascade = body<{ invalidated: string[] }>(cache.invalidateCascade(a));
  expect("cache", "invalidate-cascade reports the key and its transitive dependents", [a, b, c].every((k) => cascade.invalidated?.includes(k)));
  expect("cache", "a transitive dependent is gone after the cascade", body<CacheEntry>(cache.get(c, "cache.get-miss")).hit === false);
  // Compare-and-swap.
  const first = body<{ etag: string }>(cache.set(a, "v1"));
  const swapped = body<{ success: boolean; etag: string }>(cache.cas(a, "v2", first.etag));
  expect("cache", "cas with the current etag succeeds with a new etag", swapped.success === true && swapped.etag !== first.etag);
  const stale = body<{ success: boolean; etag: string }>(cache.cas(a, "v3", first.etag));
  expect("cache", "cas with a stale etag fails and returns the current etag", stale.success === false && stale.etag === swapped.etag);
  expect("cache", "a failed cas leaves the value", body<CacheEntry>(cache.get(a, "cache.get-hit")).value === "v2");
  // TTL: gone after it lapses (polled, bounded).
  const setAt = Date.now();
  cache.set(`ttl-${run}`, "short", { ttl: 300 });
  expect("cache", "an entry with a ttl is a hit before it lapses", body<CacheEntry>(cache.get(`ttl-${run}`, "cache.get-hit")).hit === true);
  const expired = pollUntil(() => body<CacheEntry>(cache.get(`ttl-${run}`, "cache.get-ttl")).hit, (h) => h === false, 25, 3_000);
  expect("cache", "an entry is a miss once its ttl has passed, not before", expired.ok && Date.now() - setAt >= 290);
}

const COLUMNAR_ROWS = 2_000;

function columnarChecks(): void {
  columnar.clear();
  const rows = Array.from({ length: COLUMNAR_ROWS }, (_, i) => ({ id: i, region: ["us", "eu", "ap"][i % 3], amount: i % 100, active: i % 2 === 0 }));
  const inserted = body<{ inserted: number; rowCount: number }>(columnar.batchInsert(rows.slice(0, 1000), ["region", "id"]));
  columnar.batchInsert(rows.slice(1000), ["region", "id"]);
  expect("columnar", "batch-insert reports the rows inserted", inserted.inserted === 1000 && inserted.rowCount === 1000);
  const expected = { sum: rows.reduce((s, r) => s + r.amount, 0), us: rows.filter((r) => r.region === "us"), big: rows.filter((r) => r.amount > 90) };
  expect("columnar", "SUM over every row is exact", body<{ result: number }>(columnar.aggregate("SUM", "amount")).result === expected.sum);
  expect("columnar", "COUNT with an equality filter counts the matches", body<{ result: number }>(columnar.aggregate("COUNT", "id", { column: "region", operator: "=", value: "us" })).result === expected.us.length);
  const avg = body<{ result: number }>(columnar.aggregate("AVG", "amount", { column: "region", operator: "=", value: "us" })).result;
  expect("columnar", "AVG with a filter averages the matches", Math.abs(avg - expected.us.reduce((s, r) => s + r.amount, 0) / expected.us.length) < 1e-9);
  expect("columnar", "a range filter (>) selects the right rows", body<{ result: number }>(columnar.aggregate("COUNT", "id", { column: "amount", operator: ">", value: 90 })).result === expected.big.length);
  const present = body<{ mayContain: boolean; rows: Array<{ id: number }> }>(columnar.queryBloom("id", 1234));
  expect("columnar", "the bloom filter finds a present value (no false negative)", present.mayContain === true && present.rows.length === 1 && present.rows[0]?.id === 1234);
  const absent = body<{ mayContain: boolean; scanned: boolean }>(columnar.queryBloom("id", 999_999));
  expect("columnar", "the bloom filter rules out an absent value without a scan", absent.mayContain === false && absent.scanned === false);
  const stats = body<{ rowCount: number; bloomFilters: Array<{ column: string }> }>(columnar.stats());
  expect("columnar", "stats report the row count and the bloom filters", stats.rowCount === COLUMNAR_ROWS && stats.bloomFilters.length === 2);
}

function temporalChecks(run: string): void {
  temporal.clear();
  const key = `price-${run}`;
  const t0 = 1_700_000_000_000;
  temporal.batchPut([
    { key, value: 10, timestamp: t0 },
    { key, value: 20, timestamp: t0 + 1000 },
    { key, value: 30, timestamp: t0 + 2000 },
  ]);
  expect("temporal", "get as of a time returns the version then", body<{ value: number }>(temporal.getAt(key, t0 + 1500)).value === 20);
  expect("temporal", "get before the first version finds nothing", body<{ found: boolean }>(temporal.getAt(key, t0 - 1)).found === false);
  expect("temporal", "the latest value is the newest version", body<{ value: number }>(temporal.latest(key)).value === 30);
  const range = body<{ versions: Array<{ value: number }> }>(temporal.query(key, t0 + 500, t0 + 2000));
  expect("temporal", "a range query returns the versions inside it, in time order", range.versions?.map((v) => v.value).join(",") === "20,30");
  const snap = body<{ id: string }>(temporal.snapshot(`before-${run}`, "e2e"));
  expect("temporal", "a snapshot returns an id", typeof snap.id === "string");
  temporal.put(key, 99);
  temporal.put(`new-${run}`, "later");
  expect("temporal", "writes after the snapshot are current", body<{ value: number }>(temporal.latest(key)).value === 99);
  temporal.restore(snap.id);
  expect("temporal", "restore brings back the value as of the snapshot", body<{ value: number }>(temporal.latest(key)).value === 30);
  expect("temporal", "restore removes keys created after the snapshot", body<{ found: boolean }>(temporal.latest(`new-${run}`)).found === false);
  expect("temporal", "restore keeps history (the overwritten value is still a version)", body<{ versions: Array<{ value: number }> }>(temporal.history(key)).versions.some((v) => v.value === 99));
  expect("temporal", "stats count the live keys", body<{ keyCount: number }>(temporal.stats()).keyCount === 1);
}

const VECTORS = 300;

/** Exact top-k ids by cosine similarity, computed here: what the index must return. */
function bruteForce(all: number[][], q: number[], k: number): string[] {
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const qn = norm(q);
  return all
    .map((v, i) => ({ id: `v${i}`, s: v.reduce((s, x, d) => s + x * (q[d] as number), 0) / (norm(v) * qn) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((r) => r.id);
}

function vectorChecks(): void {
  vector.clear();
  const vectors = Array.from({ length: VECTORS }, (_, i) => seededVector(i + 1));
  vector.batchInsert(vectors.map((v, i) => ({ id: `v${i}`, vector: v, metadata: { group: i % 4, tier: i % 2 === 0 ? "even" : "odd" } })));
  expect("vector", "stats count every vector", body<{ vectorCount: number }>(vector.stats()).vectorCount === VECTORS);
  const self = body<{ results: VectorHit[] }>(vector.search({ vector: vectors[7] as number[], k: 1 }));
  expect("vector", "a stored vector is its own nearest neighbour (cosine distance 0)", self.results[0]?.id === "v7" && Math.abs(self.results[0].distance) < 1e-6);
  const q = seededVector(10_001);
  const got = body<{ results: VectorHit[] }>(vector.search({ vector: q, k: 10 })).results.map((r) => r.id);
  const want = bruteForce(vectors, q, 10);
  expect("vector", "k-NN returns the exact top 10 (recall 1.0 against brute force)", got.length === 10 && want.every((id) => got.includes(id)));
  const euclid = body<{ results: VectorHit[] }>(vector.search({ vector: vectors[3] as number[], k: 3, metric: "euclidean" })).results;
  expect("vector", "euclidean: nearest first, distances ascending", euclid[0]?.id === "v3" && euclid.every((r, i) => i === 0 || r.distance >= (euclid[i - 1] as VectorHit).distance));
  const dot = body<{ results: VectorHit[] }>(vector.search({ vector: q, k: 5, metric: "dot" })).results;
  expect("vector", "dot: scores descending", dot.length === 5 && dot.every((r, i) => i === 0 || r.score <= (dot[i - 1] as VectorHit).score));
  const filtered = body<{ results: VectorHit[] }>(vector.search({ vector: q, k: 10, filter: { field: "group", operator: "eq", value: 2 } })).results;
  expect("vector", "a metadata filter returns only matching vectors", filtered.length === 10 && filtered.every((r) => r.metadata.group === 2));
  const both = body<{ results: VectorHit[] }>(vector.search({ vector: q, k: 50, filter: { and: [{ field: "group", value: 1 }, { field: "tier", value: "odd" }] } })).results;
  expect("vector", "an {and} filter applies every condition", both.length > 0 && both.every((r) => r.metadata.group === 1 && r.metadata.tier === "odd"));
  const near = body<{ results: VectorHit[] }>(vector.search({ vector: vectors[0] as number[], k: 10, maxDistance: 0.0001 })).results;
  expect("vector", "maxDistance drops results farther than it", near.length === 1 && near[0]?.id === "v0");
  expect("vector", "a vector of the wrong dimension is refused (400)", vector.insert("bad", [1, 2, 3], {}, { expectStatus: [400] }).status === 400);
}

const DOCS = [
  { id: "d1", title: "Durable Objects", content: "Durable Objects keep strongly consistent state close to users", category: "docs", year: 2024 },
  { id: "d2", title: "Workers KV", content: "KV is eventually consistent storage read at the edge", category: "docs", year: 2023 },
  { id: "d3", title: "Edge state", content: "state at the edge with durable storage and objects", category: "blog", year: 2024 },
  { id: "d4", title: "Queues", content: "queues deliver messages between workers reliably", category: "blog", year: 2022 },
  { id: "d5", title: "Durable storage", content: "durable durable durable storage for objects", category: "docs", year: 2024 },
];

function invertedChecks(): void {
  inverted.clear();
  inverted.batchIndex(DOCS);
  inverted.index({ id: "d6", title: "Hyperdrive", content: "connection pooling for databases", category: "docs", year: 2024 });
  expect("inverted", "stats count every document", body<{ documentCount: number }>(inverted.stats()).documentCount === 6);
  const ids = (q: Parameters<typeof inverted.search>[0], name?: string) => body<{ results: InvertedHit[]; total: number }>(inverted.search(q, name));
  const ranked = ids({ query: "durable" }, "inverted.search-bm25");
  expect("inverted", "bm25 ranks the document with the most occurrences first", ranked.results[0]?.id === "d5" && ranked.total === 3);
  const and = ids({ query: { and: ["durable", "objects"] } }, "inverted.search-boolean");
  expect("inverted", "an AND query needs every term", and.total === 3 && and.results.every((r) => ["d1", "d3", "d5"].includes(r.id)));
  const not = ids({ query: { and: ["durable"], not: ["edge"] } }, "inverted.search-boolean");
  expect("inverted", "a NOT query excludes documents with the term", not.total === 2 && !not.results.some((r) => r.id === "d3"));
  const or = ids({ query: { or: ["queues", "hyperdrive"] } }, "inverted.search-boolean");
  expect("inverted", "an OR query takes either term", or.total === 2);
  const exact = ids({ query: { phrase: "consistent state" } }, "inverted.search-phrase");
  expect("inverted", "a phrase matches the words adjacent and in order", exact.total === 1 && exact.results[0]?.id === "d1");
  // d1: "Objects keep strongly consistent state": 3 words between "objects" and "state", in reverse order.
  const loose = ids({ query: { phrase: "state objects", slop: 5 } }, "inverted.search-phrase");
  expect("inverted", "a phrase with slop matches the words within that distance, in any order", loose.total === 1 && loose.results[0]?.id === "d1");
  const tight = ids({ query: { phrase: "state objects", slop: 1 } }, "inverted.search-phrase");
  expect("inverted", "a smaller slop rejects words farther apart", tight.total === 0);
  const filtered = ids({ query: "durable", filter: { field: "category", value: "blog" } });
  expect("inverted", "a field filter keeps only matching documents", filtered.total === 1 && filtered.results[0]?.id === "d3");
  const faceted = body<{ facets: Record<string, Record<string, number>> }>(inverted.search({ query: "durable", facets: ["category", "year"] }, "inverted.search-facets"));
  expect("inverted", "facets count field values over all matches", faceted.facets?.category?.docs === 2 && faceted.facets?.category?.blog === 1 && faceted.facets?.year?.["2024"] === 3);
  const paged = ids({ query: "durable", limit: 1, offset: 1 });
  expect("inverted", "limit and offset page through the ranking", paged.results.length === 1 && paged.total === 3 && paged.results[0]?.id !== ranked.results[0]?.id);
  const lit = ids({ query: "consistent", highlight: { fields: ["content"], preTag: "<b>", postTag: "</b>", fragmentSize: 60 } }, "inverted.search-highlight");
  expect("inverted", "highlights wrap the matched terms in the given tags", lit.results.length > 0 && lit.results.every((r) => /<b>consistent<\/b>/i.test(r.highlights?.content ?? "")));
}

export default function (): void {
  const run = `${exec.vu.idInTest}-${exec.scenario.iterationInTest}`;
  cacheChecks(run);
  columnarChecks();
  temporalChecks(run);
  vectorChecks();
  invertedChecks();
  sleep(0.01);
}
