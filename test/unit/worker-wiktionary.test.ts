import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { startWorkerMiniflare, type WorkerUnderTest } from "../support/worker-miniflare";

// Wiktionary (deploy/src/features/wiktionary.ts) through miniflare: Wiktextract entries looked up,
// searched and completed; a gzip stream of JSON Lines ingested as it arrives; partitions written,
// flushed to the bucket as JSON Lines chunks, merged and cleaned up; and every partition asked at once.
// Each test on a family of its own (`wiktionary-w<n>`), its partitions `wiktionary-w<n>-a` … apart.

let worker: WorkerUnderTest;
let seq = 0;
before(async () => (worker = await startWorkerMiniflare()));
after(() => worker?.dispose());
const fresh = (): string => `wiktionary-w${++seq}x${process.pid}`;

async function call<T = Record<string, unknown>>(ns: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: T }> {
  const raw = body instanceof Uint8Array;
  const res = await worker.mf.dispatchFetch(`https://${ns}.perf.do${path}`, { method, headers: { "content-type": raw ? "application/gzip" : "application/json", ...headers }, body: raw ? body : body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as T };
}
const ok = async <T = Record<string, unknown>>(ns: string, method: string, path: string, body?: unknown): Promise<T> => {
  const r = await call<T>(ns, method, path, body);
  assert.ok(r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
};

/** An entry in Wiktextract's shape (the JSON kaikki.org publishes), generated. */
const entry = (word: string, pos: string, gloss: string, etymology = "") => ({
  word, pos, lang: "English",
  senses: [{ glosses: [gloss], tags: ["computing"], examples: [{ text: `A ${word} in use.` }] }],
  etymology_text: etymology, sounds: [{ ipa: `/${word}/` }], forms: [{ form: `${word}s`, tags: ["plural"] }],
});

describe("reference Worker: Wiktionary entries", () => {
  it("looks words up (exactly, case-insensitively), by part of speech, by prefix, and in their glosses", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/ingest/batch", { entries: [
      entry("run", "verb", "To move swiftly on foot.", "From Middle English rinnen, from Old English rinnan"),
      entry("run", "noun", "An act of running."),
      entry("runway", "noun", "A strip where aircraft take off."),
      entry("Rome", "name", "The capital city of Italy."),
    ] });
    assert.equal((await ok<{ count: number }>(ns, "GET", "/word/run")).count, 2);
    assert.deepEqual((await ok<{ definitions: Array<{ glosses: string[] }> }>(ns, "GET", "/word/run/definitions?pos=noun")).definitions.map((d) => d.glosses[0]), ["An act of running."]);
    assert.equal((await call(ns, "GET", "/word/rome")).status, 404);
    assert.equal((await ok<{ count: number }>(ns, "GET", "/word/rome?case=insensitive")).count, 1);
    assert.deepEqual((await ok<{ trees: Array<Array<{ language: string; term: string }>> }>(ns, "GET", "/word/run/etymology/tree")).trees[0], [{ language: "Middle English", term: "rinnen" }, { language: "Old English", term: "rinnan" }]);
    assert.deepEqual((await ok<{ forms: Array<{ form: string }> }>(ns, "GET", "/word/runway/forms")).forms.map((f) => f.form), ["runways"]);
    assert.deepEqual((await ok<{ suggestions: string[] }>(ns, "POST", "/autocomplete", { prefix: "ru", limit: 10 })).suggestions, ["run", "runway"]);
    assert.deepEqual((await ok<{ results: Array<{ word: string }> }>(ns, "POST", "/search", { query: "aircraft", fields: ["definitions"] })).results.map((r) => r.word), ["runway"]);
    await ok(ns, "POST", "/index/bloom/build", { words: ["run", "runway"], falsePositiveRate: 0.01 });
    assert.deepEqual((await ok<{ results: boolean[] }>(ns, "POST", "/index/bloom/batch-check", { words: ["run", "RUNWAY"] })).results, [true, true]);
  });

  it("ingests a gzip stream of JSON Lines as it arrives", async () => {
    const ns = fresh();
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify(entry(`w${i}`, "noun", `Gloss ${i}.`))).join("\n");
    const r = await ok<{ lines: number; ingested: number }>(ns, "POST", "/ingest/stream/decompress", gzipSync(lines));
    assert.deepEqual([r.lines, r.ingested], [500, 500]);
    assert.equal((await ok<{ count: number }>(ns, "GET", "/count")).count, 500);
  });
});

describe("reference Worker: Wiktionary partitions", () => {
  it("writes, flushes to the bucket as JSON Lines, merges and cleans up a partition's chunks", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/partition/a/write", { entries: [entry("apple", "noun", "A fruit."), entry("apricot", "noun", "A stone fruit.")] });
    const f1 = await ok<{ chunk: string; flushed: number }>(ns, "POST", "/partition/a/flush");
    await ok(ns, "POST", "/partition/a/write", { entries: [entry("axe", "noun", "A tool.")] });
    const f2 = await ok<{ chunk: string }>(ns, "POST", "/partition/a/flush");
    const bucket = await worker.mf.getR2Bucket("ICEBERG_LOCAL");
    const text = await (await bucket.get(f1.chunk))!.text();
    assert.deepEqual(text.trim().split("\n").map((l) => (JSON.parse(l) as { word: string }).word), ["apple", "apricot"]);
    const merged = await ok<{ merged: number; into: string }>(ns, "POST", "/partition/a/merge");
    assert.equal(merged.merged, 2);
    assert.equal((await (await bucket.get(merged.into))!.text()).trim().split("\n").length, 3);
    assert.equal((await ok<{ deleted: number }>(ns, "POST", "/partition/a/cleanup")).deleted, 2);
    assert.equal(await bucket.get(f2.chunk), null, "the merged chunks are gone");
    assert.equal((await ok<{ count: number }>(`${ns}-a`, "GET", "/word/axe")).count, 1, "the partition object holds its words");
    assert.equal((await ok<{ cleared: number }>(ns, "POST", "/partition/a/clear")).cleared, 3);
  });

  it("asks every partition: counts summed, lists concatenated, groups summed by key, BM25 with global statistics, first-letter routing", async () => {
    const ns = fresh();
    await ok(ns, "POST", "/partition/b/write", { entries: [entry("bread", "noun", "Food baked from flour dough."), entry("bake", "verb", "To cook dough in an oven.")] });
    await ok(ns, "POST", "/partition/c/write", { entries: [entry("cake", "noun", "A sweet food baked from dough."), entry("cook", "verb", "To prepare food.")] });
    assert.equal((await ok<{ count: number }>(ns, "POST", "/scatter/count", { partitions: "all", aggregate: "sum" })).count, 4);
    assert.equal((await ok<{ count: number }>(ns, "POST", "/count", { partitions: ["b"], aggregate: "sum" })).count, 2);
    assert.deepEqual((await ok<{ words: string[] }>(ns, "POST", "/scatter/list", { partitions: "all", limitPerPartition: 5, merge: "concat" })).words, ["bake", "bread", "cake", "cook"]);
    assert.deepEqual((await ok<{ groups: unknown[] }>(ns, "POST", "/scatter/aggregate", { partitions: "all", groupBy: "pos", aggregate: "count", merge: "sum_by_key" })).groups, [{ value: "noun", count: 2 }, { value: "verb", count: 2 }]);
    const bm = await ok<{ results: Array<{ word: string }>; documents: number }>(ns, "POST", "/scatter/search/bm25", { query: "dough", field: "definitions", partitions: "all", k: 10, k1: 1.2, b: 0.75 });
    assert.equal(bm.documents, 4);
    assert.deepEqual(bm.results.map((r) => r.word).sort(), ["bake", "bread", "cake"]);
    const smart = await ok<{ partitionsAsked: string[]; results: Array<{ word: string }> }>(ns, "POST", "/scatter/search/smart", { query: "cake", strategy: "first_letter_routing", limit: 5 });
    assert.deepEqual([smart.partitionsAsked, smart.results[0]?.word], [[`${ns}-c`], "cake"]);
  });
});
