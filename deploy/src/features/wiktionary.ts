import type { IRequest, RouterType } from "itty-router";
import { check, q, s as v, withBody, withInput, withQuery, type Infer } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, json, refuse } from "../http";
import { Bloom } from "../iceberg/bloom";
import { Location, writeLocation } from "../iceberg/index-store";
import { ftsQuery, hashedEmbedding, terms } from "../search-text";
import { all, first, param } from "../sql";
import { vectorRoutes } from "../wiki/vector-routes";
import { candidateStats, rankBm25, type Bm25Stats } from "./wikipedia";

// Wiktionary (wiktionary., its partitions wiktionary-a … wiktionary-z and wiktionary-0, contract
// §10): dictionary entries in Wiktextract's JSON (the shape kaikki.org publishes: word, pos, lang,
// senses with glosses and examples, etymology_text, sounds with IPA, forms with tags). Each object
// keeps its entries (looked up by word, exactly or case-insensitively, by prefix, and searched in
// their glosses with FTS5), a bloom filter of words, and hashed-embedding vectors. A partition's
// writes are buffered, flushed to the bucket as JSON Lines chunks, merged and cleaned up
// (`/partition/:p/…` on the coordinator, run in the partition object); `/scatter/…` asks every
// partition and merges. Bounds: MAX_BATCH entries a request, entries of at most MAX_ENTRY characters.

const MAX_BATCH = 10_000;
const MAX_ENTRY = 100_000;
const DATA = "datasets/wiktionary";
export const LETTERS = [..."abcdefghijklmnopqrstuvwxyz", "0"];

function migrateWiktionary(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS wk_entries (id INTEGER PRIMARY KEY AUTOINCREMENT, word TEXT NOT NULL, lang TEXT NOT NULL, pos TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (word, lang, pos))");
  sql.exec("CREATE INDEX IF NOT EXISTS wk_entries_word ON wk_entries (word COLLATE NOCASE)");
  sql.exec("CREATE INDEX IF NOT EXISTS wk_entries_pos ON wk_entries (pos)");
  sql.exec("CREATE VIRTUAL TABLE IF NOT EXISTS wk_fts USING fts5(word, glosses, tokenize = 'unicode61')");
  sql.exec("CREATE TABLE IF NOT EXISTS wk_buffer (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wk_chunks (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, entries INTEGER NOT NULL, bytes INTEGER NOT NULL, merged INTEGER NOT NULL DEFAULT 0)");
  sql.exec("CREATE TABLE IF NOT EXISTS wk_bloom (name TEXT PRIMARY KEY, items INTEGER NOT NULL, fpr REAL NOT NULL, data BLOB NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wk_vectors (id TEXT PRIMARY KEY, vec BLOB NOT NULL)");
}

const Entry = v.parsed<Record<string, unknown>>("a Wiktextract entry: {word, pos?, lang?, senses?, …}", (x) => {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return null;
  const e = x as Record<string, unknown>;
  return typeof e.word === "string" && e.word.length > 0 && e.word.length <= 200 && JSON.stringify(e).length <= MAX_ENTRY ? e : null;
});
const Entries = v.array(Entry, { min: 1, max: MAX_BATCH });
type Json = Record<string, unknown>;
const arr = (x: unknown): Json[] => (Array.isArray(x) ? (x.filter((y) => typeof y === "object" && y !== null) as Json[]) : []);
const glossesOf = (e: Json): string[] => arr(e.senses).flatMap((s) => (Array.isArray(s.glosses) ? s.glosses.filter((g): g is string => typeof g === "string") : []));

/** Stores entries in an object's tables (the routes, and a partition's RPC). */
function putEntries(sql: SqlStorage, entries: Json[]): number {
  for (const e of entries) {
    const word = String(e.word);
    const lang = typeof e.lang === "string" ? e.lang : "English";
    const pos = typeof e.pos === "string" ? e.pos : "unknown";
    const old = first<{ id: number }>(sql, "SELECT id FROM wk_entries WHERE word = ? AND lang = ? AND pos = ?", word, lang, pos);
    if (old) sql.exec("DELETE FROM wk_fts WHERE rowid = ?", old.id);
    sql.exec("INSERT INTO wk_entries (word, lang, pos, doc) VALUES (?, ?, ?, ?) ON CONFLICT (word, lang, pos) DO UPDATE SET doc = excluded.doc", word, lang, pos, JSON.stringify(e));
    const id = (first<{ id: number }>(sql, "SELECT id FROM wk_entries WHERE word = ? AND lang = ? AND pos = ?", word, lang, pos) as { id: number }).id;
    sql.exec("INSERT INTO wk_fts (rowid, word, glosses) VALUES (?, ?, ?)", id, word, glossesOf(e).join(" \n "));
  }
  return entries.length;
}

/** The partition of a word: its first letter, `0` for anything else. */
export const letterOf = (word: string): string => {
  const c = word.charAt(0).toLowerCase();
  return c >= "a" && c <= "z" ? c : "0";
};

/** A chain of origins read from an etymology ("From Middle English X, from Old French Y, from Latin Z"). */
export function etymologyTree(text: string): Array<{ language: string; term: string | null }> {
  const out: Array<{ language: string; term: string | null }> = [];
  for (const m of text.matchAll(/\b(?:[Ff]rom|of)\s+((?:(?:Old|Middle|Late|Early|Vulgar|Medieval|Ancient|Proto-)[\s-]*)*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s*(?:\*?([^\s,.;()"“”]+))?/g)) {
    const term = m[2] && !/^(from|and|the|a|an|meaning)$/i.test(m[2]) ? m[2] : null;
    out.push({ language: (m[1] as string).trim(), term });
  }
  return out;
}

function entryRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  const entriesOf = (request: IRequest, insensitive: boolean): Json[] => {
    const word = param(request, "word");
    const rows = all<{ doc: string }>(sql, `SELECT doc FROM wk_entries WHERE word = ?${insensitive ? " COLLATE NOCASE" : ""} ORDER BY id`, word);
    return rows.length ? rows.map((r) => JSON.parse(r.doc) as Json) : refuse(404, `no entry for ${word.slice(0, 100)}`);
  };
  // `?case=insensitive` on every word route; `?pos=` (a part of speech) on definitions.
  const WordQuery = { case: v.optional(q.oneOf("sensitive", "insensitive")), pos: v.optional(q.string({ max: 64 })) };
  const wordRoute = (suffix: string, shape: (word: string, entries: Json[], pos: string | undefined) => unknown) =>
    router.get(`/word/:word${suffix}`, withQuery(WordQuery, (query, request) => json(shape(param(request, "word"), entriesOf(request, query.case === "insensitive"), query.pos))));
  wordRoute("", (word, entries) => ({ word, entries, count: entries.length }));
  wordRoute("/definitions", (word, entries, pos) => {
    return { word, definitions: entries.filter((e) => !pos || e.pos === pos).flatMap((e) => arr(e.senses).map((s) => ({ pos: e.pos, glosses: s.glosses ?? [], tags: s.tags ?? [], examples: s.examples ?? [] }))) };
  });
  wordRoute("/etymology", (word, entries) => ({ word, etymologies: entries.map((e) => e.etymology_text).filter((t) => typeof t === "string") }));
  wordRoute("/etymology/tree", (word, entries) => ({ word, trees: entries.map((e) => (typeof e.etymology_text === "string" ? etymologyTree(e.etymology_text) : [])).filter((t) => t.length) }));
  wordRoute("/pronunciation", (word, entries) => ({ word, sounds: entries.flatMap((e) => arr(e.sounds)) }));
  wordRoute("/forms", (word, entries) => ({ word, forms: entries.flatMap((e) => arr(e.forms).map((f) => ({ form: f.form, tags: f.tags ?? [], pos: e.pos }))) }));

  router.post("/ingest/entry", withBody(Entry, (e) => json({ ingested: transaction(() => putEntries(sql, [e])) }, 201)));
  router.post("/ingest/batch", withBody(v.object({ entries: Entries }), ({ entries }) => json({ ingested: transaction(() => putEntries(sql, entries)) }, 201)));
  router.post("/index/inverted/entry", withBody(Entry, (e) => json({ indexed: transaction(() => putEntries(sql, [e])) }, 201)));
  router.post("/index/inverted/batch", withBody(v.object({ entries: Entries }), ({ entries }) => json({ indexed: transaction(() => putEntries(sql, entries)) }, 201)));
  router.post("/index/inverted/clear", () => {
    sql.exec("DELETE FROM wk_fts");
    return json({ cleared: true });
  });
  router.post("/index/inverted/serialize", withBody(v.object({ destination: Location }), async ({ destination }) => {
    // Postings as FTS5 holds them: each term with the entries (rowids) it occurs in.
    const postings: Record<string, number[]> = {};
    for (const r of sql.exec<{ word: string; rowid: number; glosses: string }>("SELECT rowid, word, glosses FROM wk_fts")) for (const t of new Set(terms(`${r.word} ${r.glosses}`))) (postings[t] ??= []).push(r.rowid);
    const bytes = new TextEncoder().encode(JSON.stringify({ format: "perfdo-wiktionary-inverted-v1", postings }));
    await writeLocation(ctx.store, destination, bytes, "POST /index/inverted/serialize");
    return json({ destination, bytes: bytes.length, terms: Object.keys(postings).length }, 201);
  }));
  router.post("/search", withBody(v.object({ query: v.string({ min: 1, pattern: /^.{1,500}$/s }), fields: v.optional(v.array(v.literal("word", "definitions", "glosses"), { max: 3 })), limit: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), ({ query, fields, limit }) => json(searchEntries(sql, query, fields ?? ["definitions"], limit ?? 20))));
  router.post("/autocomplete", withBody(v.object({ prefix: v.string({ min: 1, pattern: /^[^%_]{1,100}$/, expected: "a prefix without % or _" }), limit: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), ({ prefix, limit }) => {
    // A range on the NOCASE index: words from the prefix up to the prefix followed by the last character.
    const words = all<{ word: string }>(sql, "SELECT DISTINCT word FROM wk_entries WHERE word >= ? COLLATE NOCASE AND word < ? COLLATE NOCASE ORDER BY word COLLATE NOCASE LIMIT ?", prefix, `${prefix}\uffff`, limit ?? 10).map((r) => r.word);
    return json({ prefix, suggestions: words });
  }));
  router.get("/stats/memory", () => json({ memoryUsedMB: null, databaseSizeMB: sql.databaseSize / (1024 * 1024), entries: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wk_entries")?.n ?? 0, note: "an isolate's heap is not observable in workerd; databaseSizeMB is this object's storage" }));
  router.get("/count", () => json({ count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wk_entries")?.n ?? 0 }));
  router.post("/count", withBody(v.object({ partitions: v.optional(v.value()), aggregate: v.optional(v.literal("sum")) }), async ({ partitions }) =>
    partitions === undefined ? json({ count: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wk_entries")?.n ?? 0 }) : scatterCount(ctx, partitions)));

  // ---- the bloom filter of words ----
  router.post("/index/bloom/build", withBody(v.object({ words: v.array(v.string({ min: 1 }), { min: 1, max: 100_000 }), expectedSize: v.optional(v.number({ integer: true, min: 1, max: 1_000_000 })), falsePositiveRate: v.optional(v.number({ min: 1e-6, max: 0.5 })) }), ({ words, expectedSize, falsePositiveRate }) => {
    const n = Math.max(expectedSize ?? 0, new Set(words).size);
    const bloom = Bloom.sized(n, falsePositiveRate ?? 0.01);
    for (const w of words) bloom.add(w.toLowerCase());
    sql.exec("INSERT OR REPLACE INTO wk_bloom (name, items, fpr, data) VALUES ('words', ?, ?, ?)", n, falsePositiveRate ?? 0.01, bloom.serialize());
    held = bloom;
    return json({ words: words.length, sizedFor: n, sizeBytes: bloom.sizeBytes }, 201);
  }));
  let held: Bloom | null = null;
  const bloom = (): Bloom | null => {
    if (held) return held;
    const row = first<{ data: ArrayBuffer }>(sql, "SELECT data FROM wk_bloom WHERE name = 'words'");
    return (held = row ? Bloom.deserialize(new Uint8Array(row.data)) : null);
  };
  router.post("/index/bloom/check", withBody(v.object({ word: v.string({ min: 1 }) }), ({ word }) => {
    const b = bloom();
    return b ? json({ word, mightContain: b.has(word.toLowerCase()) }) : fail(404, "POST /index/bloom/check: no bloom filter (POST /index/bloom/build first)");
  }));
  router.post("/index/bloom/batch-check", withBody(v.object({ words: v.array(v.string({ min: 1 }), { min: 1, max: 100_000 }) }), ({ words }) => {
    const b = bloom();
    if (!b) return fail(404, "POST /index/bloom/batch-check: no bloom filter (POST /index/bloom/build first)");
    const hits = words.map((w) => b.has(w.toLowerCase()));
    return json({ checked: words.length, positives: hits.filter(Boolean).length, results: hits });
  }));
  vectorRoutes(router, ctx, "wk_vectors");
  router.post("/index/build-all", withBody(v.object({ entries: Entries, indexes: v.optional(v.array(v.literal("inverted", "bloom", "vector"), { min: 1, max: 3 })) }), ({ entries, indexes }) => {
    const want = new Set(indexes ?? ["inverted", "bloom", "vector"]);
    const built: Record<string, number> = {};
    transaction(() => {
      if (want.has("inverted")) built.inverted = putEntries(sql, entries);
      if (want.has("bloom")) {
        const words = [...new Set(entries.map((e) => String(e.word).toLowerCase()))];
        const b = Bloom.sized(words.length, 0.01);
        words.forEach((w) => b.add(w));
        sql.exec("INSERT OR REPLACE INTO wk_bloom (name, items, fpr, data) VALUES ('words', ?, 0.01, ?)", words.length, b.serialize());
        held = b;
        built.bloom = words.length;
      }
      if (want.has("vector")) {
        for (const e of entries) sql.exec("INSERT OR REPLACE INTO wk_vectors (id, vec) VALUES (?, ?)", `${e.word}:${e.pos ?? ""}`, new Uint8Array(Float32Array.from(hashedVector(e)).buffer));
        built.vector = entries.length;
      }
    });
    return json({ entries: entries.length, built }, 201);
  }));

  // ---- streams ----
  // A gzip body is decompressed as it arrives and read as JSON Lines of entries; a JSON body
  // {compressedSizeKB, format} instead runs a generated round trip (generated entries compressed,
  // then decompressed as a stream) and says so.
  router.post("/ingest/stream/decompress", async (request) => {
    const route = "POST /ingest/stream/decompress";
    const type = request.headers.get("content-type") ?? "";
    const started = Date.now();
    if (/gzip|octet-stream/.test(type)) {
      const body = (request as unknown as Request).body;
      if (!body) return fail(400, `${route}: no body`);
      const { lines, entries, bytes } = await readJsonLines(body.pipeThrough(new DecompressionStream("gzip")));
      if (entries.length > MAX_BATCH) return fail(413, `${route}: ${entries.length} entries; at most ${MAX_BATCH} a request`);
      transaction(() => putEntries(sql, entries));
      return json({ lines, ingested: entries.length, decompressedBytes: bytes, ms: Date.now() - started }, 201);
    }
    const b = check(v.object({ compressedSizeKB: v.number({ integer: true, min: 1, max: 10_240 }), format: v.optional(v.literal("gzip", "deflate")) }), await (request as unknown as Request).json().catch(() => null));
    if (typeof b === "string") return fail(400, `${route}: ${b} (or send a gzip body of JSON Lines)`);
    const target = b.compressedSizeKB * 1024;
    // JSON Lines compress about 10x: generate ten times the target, then report what came out.
    const text = Array.from({ length: Math.ceil((target * 10) / 200) }, (_, i) => JSON.stringify(sampleEntry(i))).join("\n");
    const compressed = await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream(b.format ?? "gzip"))).arrayBuffer();
    const decompressStarted = Date.now();
    const { lines, bytes } = await readJsonLines(new Blob([compressed]).stream().pipeThrough(new DecompressionStream(b.format ?? "gzip")));
    return json({ generated: true, format: b.format ?? "gzip", compressedBytes: compressed.byteLength, decompressedBytes: bytes, lines, decompressMs: Date.now() - decompressStarted });
  });
  router.post("/ingest/stream/split", withBody(v.object({ lineCount: v.number({ integer: true, min: 1, max: 100_000 }) }), async ({ lineCount }) => {
    // Generated JSON Lines, split as a stream splits them (across chunk boundaries), and parsed.
    const text = Array.from({ length: lineCount }, (_, i) => JSON.stringify(sampleEntry(i))).join("\n");
    const started = Date.now();
    const { lines, bytes } = await readJsonLines(new Blob([text]).stream());
    return json({ generated: true, lines, bytes, ms: Date.now() - started });
  }));
  // Part uploads timed: the bucket interface here puts whole objects, so each part is its own object,
  // written and then deleted, and the answer says it was not a multipart upload.
  router.post("/r2/multipart/benchmark", withBody(v.object({ partCount: v.number({ integer: true, min: 1, max: 8 }), partSizeMB: v.number({ integer: true, min: 5, max: 5 }) }), async ({ partCount, partSizeMB }) => {
    if (!ctx.store) return fail(503, "no R2 bucket is bound (ICEBERG)");
    const part = new Uint8Array(partSizeMB * 1024 * 1024);
    const run = `${DATA}/multipart-benchmark/${crypto.randomUUID()}`;
    const ms: number[] = [];
    for (let i = 0; i < partCount; i++) {
      const t = Date.now();
      await ctx.store.put(`${run}/part-${i}`, part);
      ms.push(Date.now() - t);
    }
    await ctx.store.delete(Array.from({ length: partCount }, (_, i) => `${run}/part-${i}`));
    return json({ multipart: false, parts: partCount, bytes: part.length * partCount, partMs: ms, note: "each part put as its own object: the bucket interface here has no multipart upload" });
  }));
}

function sampleEntry(i: number): Json {
  return { word: `word${i}`, pos: ["noun", "verb", "adj", "adv"][i % 4], lang: "English", senses: [{ glosses: [`Generated definition ${i}.`] }] };
}

async function readJsonLines(stream: ReadableStream<Uint8Array>): Promise<{ lines: number; bytes: number; entries: Json[] }> {
  const decoder = new TextDecoder();
  let rest = "";
  let lines = 0;
  let bytes = 0;
  const entries: Json[] = [];
  const take = (line: string) => {
    if (!line.trim()) return;
    lines++;
    if (entries.length <= MAX_BATCH) {
      try {
        const e = JSON.parse(line) as Json;
        if (typeof e.word === "string") entries.push(e);
      } catch {
        // a line that is not JSON is counted, not kept
      }
    }
  };
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop() ?? "";
    parts.forEach(take);
  }
  take(rest + decoder.decode());
  return { lines, bytes, entries };
}

const hashedVector = (e: Json): number[] => hashedEmbedding(`${e.word} ${glossesOf(e).join(" ")}`);

export function searchEntries(sql: SqlStorage, query: string, fields: string[], limit: number) {
  const m = ftsQuery(query);
  if (!m) return { query, count: 0, results: [] };
  const columns = fields.includes("word") && fields.length === 1 ? "word" : fields.includes("word") ? "{word glosses}" : "glosses";
  const rows = all<{ word: string; glosses: string; score: number }>(sql, "SELECT word, glosses, bm25(wk_fts) AS score FROM wk_fts WHERE wk_fts MATCH ? ORDER BY score LIMIT ?", `${columns} : (${m})`, limit);
  return { query, count: rows.length, results: rows.map((r) => ({ word: r.word, score: -r.score, gloss: r.glosses.split(" \n ")[0] ?? "" })) };
}

/** What BM25 across partitions needs from one partition's entries (their glosses as the documents). */
function entryBm25Stats(sql: SqlStorage, query: string, perPartition: number): Bm25Stats {
  const m = ftsQuery(query);
  const docs = first<{ n: number; len: number }>(sql, "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(glosses)), 0) AS len FROM wk_fts");
  const df = (w: string) => first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wk_fts WHERE wk_fts MATCH ?", `glosses : "${w}"`)?.n ?? 0;
  const rows = m ? all<{ title: string; text: string }>(sql, "SELECT word AS title, glosses AS text FROM wk_fts WHERE wk_fts MATCH ? ORDER BY bm25(wk_fts) LIMIT ?", `glosses : (${m})`, perPartition) : [];
  return candidateStats(query, docs?.n ?? 0, docs?.len ?? 0, df, rows);
}

// ---- partitions and scatter (on the coordinator) ------------------------------------------------------
const Partitions = v.optional(v.union(v.literal("all"), v.array(v.literal(...LETTERS), { min: 1, max: LETTERS.length }), '"all" or a list of partition letters'));
type Parts = Infer<typeof Partitions>;
const family = (ctx: FeatureContext) => ctx.namespace().replace(/-[a-z0]$/, "");
const lettersOf = (p: Parts | unknown) => (Array.isArray(p) ? (p as string[]) : LETTERS);
async function ask<T>(ctx: FeatureContext, p: Parts | unknown, method: string, payload: unknown) {
  return Promise.all(lettersOf(p).map(async (l) => ({ partition: `${family(ctx)}-${l}`, answer: await ctx.peer(`${family(ctx)}-${l}`).call<T>("wiktionary-partitions", method, payload) })));
}
async function scatterCount(ctx: FeatureContext, partitions: unknown): Promise<Response> {
  if (partitions !== "all" && !(Array.isArray(partitions) && partitions.every((l) => LETTERS.includes(l as string)))) return fail(400, 'partitions: expected "all" or a list of partition letters');
  const parts = await ask<number>(ctx, partitions, "count", {});
  return json({ partitions: parts.length, count: parts.reduce((s, p) => s + p.answer, 0), perPartition: parts.map((p) => ({ partition: p.partition, count: p.answer })) });
}

function partitionRoutes(router: RouterType, ctx: FeatureContext): void {
  const inPartition = (method: string) => withInput({ params: { partition: v.literal(...LETTERS) } }, async ({ params }) => {
    const p = params.partition;
    return json({ partition: `${family(ctx)}-${p}`, ...(await ctx.peer(`${family(ctx)}-${p}`).call<Json>("wiktionary-partitions", method, {})) });
  });
  router.post("/partition/:partition/write", withInput({ params: { partition: v.literal(...LETTERS) }, body: v.object({ entries: Entries }) }, async ({ params, body }) => {
    const p = params.partition;
    return json({ partition: `${family(ctx)}-${p}`, ...(await ctx.peer(`${family(ctx)}-${p}`).call<Json>("wiktionary-partitions", "write", body.entries)) }, 201);
  }));
  router.post("/partition/:partition/flush", inPartition("flush"));
  router.post("/partition/:partition/merge", inPartition("merge"));
  router.post("/partition/:partition/cleanup", inPartition("cleanup"));
  router.post("/partition/:partition/clear", inPartition("clear"));

  router.post("/scatter/count", withBody(v.object({ partitions: Partitions, aggregate: v.optional(v.literal("sum")) }), ({ partitions }) => scatterCount(ctx, partitions ?? "all")));
  router.post("/scatter/list", withBody(v.object({ partitions: Partitions, limitPerPartition: v.optional(v.number({ integer: true, min: 1, max: 100 })), merge: v.optional(v.literal("concat")) }), async ({ partitions, limitPerPartition }) => {
    const parts = await ask<string[]>(ctx, partitions, "list", { limit: limitPerPartition ?? 10 });
    return json({ partitions: parts.length, words: parts.flatMap((p) => p.answer), perPartition: parts.map((p) => ({ partition: p.partition, count: p.answer.length })) });
  }));
  router.post("/scatter/aggregate", withBody(v.object({ partitions: Partitions, groupBy: v.literal("pos", "lang"), aggregate: v.optional(v.literal("count")), merge: v.optional(v.literal("sum_by_key")) }), async ({ partitions, groupBy }) => {
    const parts = await ask<Record<string, number>>(ctx, partitions, "aggregate", { groupBy });
    const groups: Record<string, number> = {};
    for (const p of parts) for (const [k, n] of Object.entries(p.answer)) groups[k] = (groups[k] ?? 0) + n;
    return json({ partitions: parts.length, groupBy, groups: Object.entries(groups).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([value, count]) => ({ value, count })) });
  }));
  router.post("/scatter/search", withBody(v.object({ query: v.string({ min: 1, pattern: /^.{1,500}$/s }), partitions: Partitions, limit: v.optional(v.number({ integer: true, min: 1, max: 100 })), merge: v.optional(v.literal("topN")) }), async ({ query, partitions, limit }) => {
    const parts = await ask<{ results: Array<{ word: string; score: number }> }>(ctx, partitions, "search", { query, limit: limit ?? 20 });
    // topN by each partition's own BM25 score (scores from different partitions are not on one scale; see /scatter/search/bm25).
    const merged = parts.flatMap((p) => p.answer.results.map((r) => ({ ...r, partition: p.partition }))).sort((a, b) => b.score - a.score).slice(0, limit ?? 20);
    return json({ query, partitions: parts.length, merge: "topN", count: merged.length, results: merged });
  }));
  router.post("/scatter/search/bm25", withBody(v.object({ query: v.string({ min: 1, pattern: /^.{1,500}$/s }), field: v.optional(v.literal("definitions")), partitions: Partitions, k: v.optional(v.number({ integer: true, min: 1, max: 100 })), k1: v.optional(v.number({ min: 0, max: 3 })), b: v.optional(v.number({ min: 0, max: 1 })) }), async ({ query, partitions, k, k1, b }) => {
    const parts = await ask<Bm25Stats>(ctx, partitions, "bm25Stats", { query, perPartition: k ?? 20 });
    const ranked = rankBm25(parts.map((p) => p.answer), k ?? 20, k1 ?? 1.2, b ?? 0.75);
    return json({ query, partitions: parts.length, merge: "global_rerank", count: ranked.count, documents: ranked.documents, results: ranked.results.map((r) => ({ word: r.title, score: r.score })) });
  }));
  // first_letter_routing: only the partition of the query's first letter is asked.
  router.post("/scatter/search/smart", withBody(v.object({ query: v.string({ min: 1, pattern: /^.{1,200}$/s }), strategy: v.optional(v.literal("first_letter_routing", "all")), limit: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), async ({ query, strategy, limit }) => {
    const parts = strategy === "all" ? LETTERS : [letterOf(query)];
    const answers = await ask<{ results: Array<{ word: string; score: number }> }>(ctx, parts, "search", { query, limit: limit ?? 20 });
    const results = answers.flatMap((p) => p.answer.results).sort((a, b) => b.score - a.score).slice(0, limit ?? 20);
    return json({ query, strategy: strategy ?? "first_letter_routing", partitionsAsked: answers.map((a) => a.partition), count: results.length, results });
  }));
}

const rpcCheck = <T>(schema: Parameters<typeof check>[0], x: unknown, method: string): T => {
  const r = check(schema, x);
  if (typeof r === "string") throw new Error(`wiktionary-partitions.${method}: ${r}`);
  return r as T;
};

export const wiktionary: Feature = {
  name: "wiktionary",
  serves: ["wiktionary"],
  schema: { migrations: [migrateWiktionary] },
  routes: entryRoutes,
};

/** The partition side: writes buffered and flushed to the bucket as JSON Lines chunks, and what scatter asks. */
export const wiktionaryPartitions: Feature = {
  name: "wiktionary-partitions",
  serves: ["wiktionary"],
  uses: ["wiktionary"],
  routes: partitionRoutes,
  rpc: {
    write: (ctx, entries: never) => {
      const list = rpcCheck<Json[]>(Entries, entries, "write");
      ctx.transaction(() => {
        putEntries(ctx.sql, list);
        for (const e of list) ctx.sql.exec("INSERT INTO wk_buffer (doc) VALUES (?)", JSON.stringify(e));
      });
      return { written: list.length, buffered: first<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM wk_buffer")?.n ?? 0 };
    },
    flush: async (ctx) => {
      if (!ctx.store) throw new Error("no R2 bucket is bound (ICEBERG)");
      const rows = all<{ seq: number; doc: string }>(ctx.sql, "SELECT seq, doc FROM wk_buffer ORDER BY seq");
      if (rows.length === 0) return { flushed: 0, chunks: first<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM wk_chunks WHERE merged = 0")?.n ?? 0 };
      const bytes = new TextEncoder().encode(rows.map((r) => r.doc).join("\n") + "\n");
      const key = `${DATA}/${ctx.namespace()}/chunk-${rows[0]?.seq}-${rows.at(-1)?.seq}.jsonl`;
      await ctx.store.put(key, bytes);
      // The chunk is in the bucket before the buffer lets go of its entries.
      ctx.transaction(() => {
        ctx.sql.exec("INSERT INTO wk_chunks (key, entries, bytes) VALUES (?, ?, ?)", key, rows.length, bytes.length);
        ctx.sql.exec("DELETE FROM wk_buffer WHERE seq <= ?", rows.at(-1)?.seq ?? 0);
      });
      return { flushed: rows.length, chunk: key, bytes: bytes.length };
    },
    merge: async (ctx) => {
      if (!ctx.store) throw new Error("no R2 bucket is bound (ICEBERG)");
      const chunks = all<{ seq: number; key: string; entries: number }>(ctx.sql, "SELECT seq, key, entries FROM wk_chunks WHERE merged = 0 ORDER BY seq");
      if (chunks.length < 2) return { merged: 0, chunks: chunks.length };
      const parts: Uint8Array[] = [];
      for (const c of chunks) {
        const b = await ctx.store.get(c.key);
        if (!b) throw new Error(`R2: chunk ${c.key} is missing`);
        parts.push(new Uint8Array(b));
      }
      const merged = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      parts.reduce((at, p) => (merged.set(p, at), at + p.length), 0);
      const key = `${DATA}/${ctx.namespace()}/merged-${chunks[0]?.seq}-${chunks.at(-1)?.seq}.jsonl`;
      await ctx.store.put(key, merged);
      ctx.transaction(() => {
        ctx.sql.exec("UPDATE wk_chunks SET merged = 1 WHERE seq <= ?", chunks.at(-1)?.seq ?? 0);
        ctx.sql.exec("INSERT INTO wk_chunks (key, entries, bytes) VALUES (?, ?, ?)", key, chunks.reduce((s, c) => s + c.entries, 0), merged.length);
      });
      return { merged: chunks.length, into: key, bytes: merged.length };
    },
    cleanup: async (ctx) => {
      const gone = all<{ key: string }>(ctx.sql, "SELECT key FROM wk_chunks WHERE merged = 1").map((r) => r.key);
      if (gone.length && ctx.store) await ctx.store.delete(gone);
      ctx.sql.exec("DELETE FROM wk_chunks WHERE merged = 1");
      return { deleted: gone.length };
    },
    clear: async (ctx) => {
      const keys = all<{ key: string }>(ctx.sql, "SELECT key FROM wk_chunks").map((r) => r.key);
      if (keys.length && ctx.store) await ctx.store.delete(keys);
      const n = first<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM wk_entries")?.n ?? 0;
      ctx.transaction(() => ["wk_entries", "wk_fts", "wk_buffer", "wk_chunks"].forEach((t) => ctx.sql.exec(`DELETE FROM ${t}`)));
      return { cleared: n, chunksDeleted: keys.length };
    },
    count: (ctx) => first<{ n: number }>(ctx.sql, "SELECT COUNT(*) AS n FROM wk_entries")?.n ?? 0,
    list: (ctx, p: never) => {
      const { limit } = rpcCheck<{ limit: number }>(v.object({ limit: v.number({ integer: true, min: 1, max: 100 }) }), p, "list");
      return all<{ word: string }>(ctx.sql, "SELECT word FROM wk_entries ORDER BY word LIMIT ?", limit).map((r) => r.word);
    },
    aggregate: (ctx, p: never) => {
      const { groupBy } = rpcCheck<{ groupBy: "pos" | "lang" }>(v.object({ groupBy: v.literal("pos", "lang") }), p, "aggregate");
      return Object.fromEntries(all<{ k: string; n: number }>(ctx.sql, `SELECT ${groupBy} AS k, COUNT(*) AS n FROM wk_entries GROUP BY ${groupBy}`).map((r) => [r.k, r.n]));
    },
    search: (ctx, p: never) => {
      const { query, limit } = rpcCheck<{ query: string; limit: number }>(v.object({ query: v.string(), limit: v.number({ integer: true, min: 1, max: 100 }) }), p, "search");
      return searchEntries(ctx.sql, query, ["word", "definitions"], limit);
    },
    bm25Stats: (ctx, p: never) => {
      const { query, perPartition } = rpcCheck<{ query: string; perPartition: number }>(v.object({ query: v.string(), perPartition: v.number({ integer: true, min: 1, max: 100 }) }), p, "bm25Stats");
      return entryBm25Stats(ctx.sql, query, perPartition);
    },
  },
};
