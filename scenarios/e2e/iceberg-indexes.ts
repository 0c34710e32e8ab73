// E2E: the indexes an Iceberg reader skips data with, on iceberg. (contract §10). Every iteration
// builds indexes of its own (`e2e-<run>-…`) and checks each answer against what its input implies:
// a bloom filter never misses a value it was given and keeps false positives near the rate asked; a
// range index keeps exactly the blocks a range can match; an inverted index answers AND, OR and NOT;
// a vector search finds the exact nearest neighbour, in memory and streamed from the bucket; a search
// manifest built from the indexes names each one with its URL. Gate: 100 % of checks
// (thresholds/e2e/iceberg-indexes.json).

import exec from "k6/execution";
import { icebergIndexesApi } from "../../lib/k6/api/iceberg-indexes.api";
import { namespaceClient } from "../../lib/k6/client";
import { body, expect } from "../../lib/k6/expect";
import { scenarioOptions, target } from "../../lib/k6/options";

export const options = scenarioOptions({ profile: "smoke" });

const ix = icebergIndexesApi(namespaceClient(target, "iceberg"));

function bloomChecks(run: string): string {
  const name = `e2e-${run}-bloom`;
  const known = Array.from({ length: 2_000 }, (_, i) => `user-${i}@example.com`);
  const made = body<{ distinct: number; sizeBytes: number }>(ix.bloomCreate(name, known, 0.01));
  // parquet-java's formula for 2,000 values at 1 %: 19,363 bits, 76 blocks of 32 bytes.
  expect("bloom-index", "a filter for 2,000 values at 1 % takes parquet-java's size in whole blocks (2,432 bytes)", made.distinct === 2_000 && made.sizeBytes === 2_432);
  const all = body<{ positiveCount: number }>(ix.bloomContainsBatch(name, known));
  expect("bloom-index", "no value added is ever missed", all.positiveCount === known.length);
  const absent = Array.from({ length: 5_000 }, (_, i) => `nobody-${i}@example.org`);
  const fp = body<{ falsePositiveRate: number }>(ix.bloomTestAbsent(name, absent));
  expect("bloom-index", "values never added test positive at about the rate asked (under 2 %)", typeof fp.falsePositiveRate === "number" && fp.falsePositiveRate < 0.02);
  return name;
}

function rangeChecks(run: string): void {
  const name = `e2e-${run}-range`;
  const data = Array.from({ length: 10_000 }, (_, i) => ({ id: `row-${i}`, value: i, day: `2024-${String(1 + Math.floor(i / 1000)).padStart(2, "0")}-01` }));
  const built = body<{ blocks: number }>(ix.rangeBuild(name, data, ["value", "day"], 500));
  expect("range-index", "10,000 rows in blocks of 500 make 20 blocks", built.blocks === 20);
  const p = body<{ totalBlocks: number; matchingBlocks: number; blocks: number[] }>(ix.rangePrune(name, "value", 2_250, 3_749));
  expect("range-index", "a numeric range keeps exactly the blocks it overlaps (4 to 7)", p.totalBlocks === 20 && p.matchingBlocks === 4 && (p.blocks ?? []).join(",") === "4,5,6,7");
  const d = body<{ blocks: number[] }>(ix.rangePrune(name, "day", "2024-03-01", "2024-03-31"));
  expect("range-index", "a string range keeps exactly the blocks of its month (4 and 5)", (d.blocks ?? []).join(",") === "4,5");
}

function invertedChecks(run: string): string {
  const name = `e2e-${run}-inverted`;
  ix.invertedBatch(name, [
    { id: "d1", text: "Software engineering and distributed systems" },
    { id: "d2", text: "Distributed databases at scale" },
    { id: "d3", text: "Software craftsmanship" },
    { id: "d4", text: "Gardening" },
  ]);
  const docs = (op: "AND" | "OR" | "NOT", terms: string[]) => (body<{ documents: string[] }>(ix.invertedQuery(name, op, terms)).documents ?? []).join(",");
  expect("inverted-index", "AND: the documents with every term", docs("AND", ["software", "distributed"]) === "d1");
  expect("inverted-index", "OR: the documents with any term", docs("OR", ["software", "databases"]) === "d1,d2,d3");
  expect("inverted-index", "NOT: the first term without the others", docs("NOT", ["distributed", "software"]) === "d2");
  return name;
}

function vectorChecks(run: string): void {
  const name = `e2e-${run}-vector`;
  const dims = 64;
  // Vector i points mostly along axis i % 64, tilted by i / 64 along the next axis: 128 distinct directions.
  const vec = (i: number) => Array.from({ length: dims }, (_, d) => (d === i % dims ? 1 : d === (i + 1) % dims ? 0.3 * Math.floor(i / dims) : 0));
  const vectors = Array.from({ length: 128 }, (_, i) => ({ id: `v${i}`, vector: vec(i) }));
  ix.vectorBuild(name, vectors, "float32");
  const near = body<{ results: Array<{ id: string }>; searched: number }>(ix.vectorSearch(name, vec(77), 3));
  expect("vector-index", "a search finds the query's own vector first, comparing every vector", near.results?.[0]?.id === "v77" && near.searched === 128);
  const dest = `r2://indexes/vector/e2e-${run}.vectors`;
  const saved = body<{ chunks: number }>(ix.vectorPersist(name, dest, 8_192));
  const streamed = body<{ results: Array<{ id: string }>; chunksRead: number }>(ix.vectorSearchStreaming(dest, vec(77), 3));
  expect("vector-index", "a search streamed from the bucket, chunk by chunk, answers as the search in memory", saved.chunks > 1 && streamed.chunksRead === saved.chunks && (streamed.results ?? []).map((r) => r.id).join() === (near.results ?? []).map((r) => r.id).join());
}

function manifestChecks(run: string, bloom: string, inverted: string): void {
  const name = `e2e-${run}-manifest`;
  const files = ["data/part-0000.parquet", "data/part-0001.parquet"];
  ix.manifestCreateFromIndexes(name, "cdn.example.com/users/v1", [{ namespace: bloom, type: "bloom", field: "email" }, { namespace: inverted, type: "inverted", field: "bio" }], files);
  const found = body<{ indexes: Array<{ type: string; field: string; items?: number }> }>(ix.manifestDiscover(name));
  expect("search-manifest", "a manifest built from the indexes names each, with the bloom filter's value count", (found.indexes ?? []).map((i) => `${i.type}:${i.field}`).join() === "bloom:email,inverted:bio" && found.indexes[0]?.items === 2_000);
  const u = body<{ url: string }>(ix.manifestBuildUrl(name, "bloom", "email"));
  expect("search-manifest", "an index's URL is https://<base>/<file>", u.url === "https://cdn.example.com/users/v1/indexes/bloom/email.bloom");
}

export default function (): void {
  const run = `${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${Date.now().toString(36)}`;
  const bloom = bloomChecks(run);
  rangeChecks(run);
  const inverted = invertedChecks(run);
  vectorChecks(run);
  manifestChecks(run, bloom, inverted);
}
