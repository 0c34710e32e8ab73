import type { RouterType } from "itty-router";
import { s as v, withBody, withQuery } from "../input";
import type { Feature, FeatureContext } from "../feature";
import { fail, json, refuse } from "../http";
import { Bloom, ngrams } from "../iceberg/bloom";
import { fromBase64, IndexName, indexNameOf, IndexQuery, Location, readJsonLocation, toBase64, writeLocation } from "../iceberg/index-store";
import { terms } from "../search-text";
import { all, first } from "../sql";

// The indexes an Iceberg table's readers skip data with (contract §10), built and queried on
// iceberg.: many named indexes in one object (`namespace` in a body names one), each persisted to
// the bucket under r2://indexes/… and loaded back.
// - bloom: Parquet's split block bloom filter (../iceberg/bloom.ts), of values or of their n-grams
//   (substring tests); its bytes are Parquet's, base64 in JSON.
// - range: min/max (and null count) of each column per block of rows, as Parquet keeps per row group
//   and Iceberg per data file; a range condition keeps the blocks it can match.
// - inverted: term → documents (the terms of ../search-text.ts), AND/OR/NOT of terms.
// Bounds: a request carries at most MAX_ITEMS values, rows or documents; an index holds at most
// MAX_INDEX_DOCS documents.

const MAX_ITEMS = 100_000;
const MAX_INDEX_DOCS = 100_000;
const MAX_TEXT = 100_000;
const FIELD = /^[A-Za-z_][\w.]{0,63}$/;

function migrateIndexes(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS ix_blooms (name TEXT PRIMARY KEY, items INTEGER, fpr REAL, ngram INTEGER NOT NULL, data BLOB NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS ix_ranges (name TEXT PRIMARY KEY, doc TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS ix_docs (name TEXT NOT NULL, id TEXT NOT NULL, terms INTEGER NOT NULL, PRIMARY KEY (name, id)) WITHOUT ROWID");
  sql.exec("CREATE TABLE IF NOT EXISTS ix_postings (name TEXT NOT NULL, term TEXT NOT NULL, id TEXT NOT NULL, tf INTEGER NOT NULL, PRIMARY KEY (name, term, id)) WITHOUT ROWID");
  sql.exec("CREATE INDEX IF NOT EXISTS ix_postings_doc ON ix_postings (name, id)");
}

// ---- range indexes ----------------------------------------------------------------------------------

type Bound = number | string;
interface ColumnRange { min: Bound | null; max: Bound | null; nulls: number }
export interface RangeIndex { rows: number; blockSize: number; columns: string[]; blocks: Array<{ first: number; rows: number; columns: Record<string, ColumnRange> }> }

/** Numbers compare as numbers, anything else as strings; a number sorts before a string. */
export const compareBound = (a: Bound, b: Bound): number =>
  typeof a === "number" && typeof b === "number" ? a - b : typeof a === "number" ? -1 : typeof b === "number" ? 1 : a < b ? -1 : a > b ? 1 : 0;

const boundOf = (x: unknown): Bound | null => (typeof x === "number" && Number.isFinite(x) ? x : typeof x === "string" ? x : typeof x === "boolean" ? Number(x) : null);

export function buildRange(rows: Array<Record<string, unknown>>, columns: string[], blockSize: number): RangeIndex {
  const blocks: RangeIndex["blocks"] = [];
  for (let first = 0; first < rows.length; first += blockSize) {
    const slice = rows.slice(first, first + blockSize);
    const cols: Record<string, ColumnRange> = {};
    for (const c of columns) {
      const r: ColumnRange = { min: null, max: null, nulls: 0 };
      for (const row of slice) {
        const b = boundOf(row[c]);
        if (b === null) r.nulls++;
        else {
          if (r.min === null || compareBound(b, r.min) < 0) r.min = b;
          if (r.max === null || compareBound(b, r.max) > 0) r.max = b;
        }
      }
      cols[c] = r;
    }
    blocks.push({ first, rows: slice.length, columns: cols });
  }
  return { rows: rows.length, blockSize, columns, blocks };
}

interface Condition { column: string; min?: Bound; max?: Bound }

/** The blocks every condition may match: a block is skipped only when its [min, max] misses a condition's range. */
export function pruneRange(index: RangeIndex, conditions: Condition[]): number[] {
  return index.blocks.flatMap((b, i) =>
    conditions.every((c) => {
      const r = b.columns[c.column];
      if (!r || r.min === null || r.max === null) return false;
      return (c.min === undefined || compareBound(r.max, c.min) >= 0) && (c.max === undefined || compareBound(r.min, c.max) <= 0);
    }) ? [i] : [],
  );
}

// ---- routes -------------------------------------------------------------------------------------------

const Items = v.array(v.string(), { min: 1, max: MAX_ITEMS });
const Fpr = v.number({ min: 1e-6, max: 0.5 });
const RangeValue = v.union(v.number(), v.string(), "a number or a string");
const ConditionBody = v.object({ column: v.string({ pattern: FIELD }), min: v.optional(RangeValue), max: v.optional(RangeValue) });
const DocId = v.string({ min: 1, pattern: /^.{1,512}$/s, expected: "a document id of 1-512 characters" });
const DocText = v.string({ pattern: new RegExp(`^[^]{0,${MAX_TEXT}}$`), expected: `a text of at most ${MAX_TEXT} characters` });
const Doc = v.object({ id: DocId, text: DocText });

function indexRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;

  // ---- bloom ----
  // The 16 filters used last, kept decoded (at most 1 MiB each): a test then costs hashing, not a read
  // and a copy of the whole filter.
  type Held = { bloom: Bloom; items: number | null; fpr: number | null; ngram: number };
  const held = new Map<string, Held>();
  const hold = (name: string, h: Held): Held => {
    held.delete(name);
    held.set(name, h);
    if (held.size > 16) held.delete(held.keys().next().value as string);
    return h;
  };
  const saveBloom = (name: string, bloom: Bloom, items: number | null, fpr: number | null, ngram: number): void => {
    sql.exec("INSERT OR REPLACE INTO ix_blooms (name, items, fpr, ngram, data) VALUES (?, ?, ?, ?, ?)", name, items, fpr, ngram, bloom.serialize());
    hold(name, { bloom, items, fpr, ngram });
  };
  const bloomOf = (name: string, route: string): Held => {
    const h = held.get(name);
    if (h) return hold(name, h);
    const row = first<{ items: number | null; fpr: number | null; ngram: number; data: ArrayBuffer }>(sql, "SELECT items, fpr, ngram, data FROM ix_blooms WHERE name = ?", name);
    const bloom = row ? Bloom.deserialize(new Uint8Array(row.data)) : null;
    return row && bloom ? hold(name, { bloom, items: row.items, fpr: row.fpr, ngram: row.ngram }) : refuse(404, `${route}: no bloom filter ${name}`);
  };
  const create = (items: string[], fpr: number, name: string, ngram: number): Response => {
    const values = ngram > 0 ? [...new Set(items.flatMap((i) => ngrams(i, ngram)))] : [...new Set(items)];
    const bloom = Bloom.sized(values.length, fpr);
    // Fault switch (local only): a filter with false negatives, which a bloom filter must never have.
    values.forEach((x, i) => (ctx.fault === "bloom-drops-every-tenth" && i % 10 === 9 ? undefined : bloom.add(x)));
    saveBloom(name, bloom, values.length, fpr, ngram);
    return json({ namespace: name, items: items.length, distinct: values.length, ...(ngram ? { ngramSize: ngram } : {}), sizeBytes: bloom.sizeBytes, fpr }, 201);
  };
  router.post("/iceberg/bloom/create", withBody(v.object({ items: Items, fpr: v.optional(Fpr), namespace: IndexName }), ({ items, fpr, namespace }) => create(items, fpr ?? 0.01, namespace, 0)));
  router.post("/iceberg/bloom/ngram/create", withBody(v.object({ items: Items, fpr: v.optional(Fpr), ngramSize: v.optional(v.number({ integer: true, min: 2, max: 8 })), namespace: IndexName }), ({ items, fpr, ngramSize, namespace }) => create(items, fpr ?? 0.01, namespace, ngramSize ?? 3)));
  router.post("/iceberg/bloom/contains", withBody(v.object({ namespace: IndexName, item: v.string() }), ({ namespace, item }) => {
    const b = bloomOf(namespace, "POST /iceberg/bloom/contains");
    return json({ namespace, item, mightContain: b.bloom.has(item) });
  }));
  // A substring test: every n-gram of the pattern in the filter (a miss is certain, a hit probable).
  router.post("/iceberg/bloom/ngram/contains", withBody(v.object({ namespace: IndexName, pattern: v.string({ min: 1 }) }), ({ namespace, pattern }) => {
    const b = bloomOf(namespace, "POST /iceberg/bloom/ngram/contains");
    if (b.ngram === 0) return fail(409, `POST /iceberg/bloom/ngram/contains: ${namespace} is a filter of values, not of n-grams`);
    const grams = ngrams(pattern, b.ngram);
    return json({ namespace, pattern, ngrams: grams.length, mightContain: grams.every((g) => b.bloom.has(g)) });
  }));
  const batch = (route: string) => withBody(v.object({ namespace: IndexName, items: Items }), ({ namespace, items }) => {
    const b = bloomOf(namespace, route);
    const hits = items.map((i) => b.bloom.has(i));
    const positives = hits.filter(Boolean).length;
    return route.endsWith("contains-batch")
      ? json({ namespace, results: hits, positiveCount: positives, testedCount: items.length })
      // The items are values never added: every positive is a false positive.
      : json({ namespace, testedCount: items.length, falsePositiveCount: positives, falsePositiveRate: positives / items.length, targetFpr: b.fpr });
  });
  router.post("/iceberg/bloom/contains-batch", batch("POST /iceberg/bloom/contains-batch"));
  router.post("/iceberg/bloom/test-batch", batch("POST /iceberg/bloom/test-batch"));
  router.post("/iceberg/bloom/stats", withBody(v.object({ namespace: IndexName }), ({ namespace }) => {
    const b = bloomOf(namespace, "POST /iceberg/bloom/stats");
    const fill = b.bloom.fill();
    // Split block filters set 8 bits per value, one per word of a block: a false positive needs all 8.
    return json({ namespace, items: b.items, fpr: b.fpr, ngramSize: b.ngram || undefined, sizeBytes: b.bloom.sizeBytes, blocks: b.bloom.blocks.length / 8, bitsPerItem: b.items ? (b.bloom.sizeBytes * 8) / b.items : null, fill, estimatedFpr: fill ** 8 });
  }));
  router.post("/iceberg/bloom/serialize", withBody(v.object({ namespace: IndexName }), ({ namespace }) => {
    const b = bloomOf(namespace, "POST /iceberg/bloom/serialize");
    const bytes = b.bloom.serialize();
    return json({ namespace, format: "parquet-sbbf", bytes: bytes.length, data: toBase64(bytes) });
  }));
  router.post("/iceberg/bloom/deserialize", withBody(v.object({ namespace: IndexName, data: v.string({ min: 1 }) }), ({ namespace, data }) => {
    const bytes = fromBase64(data);
    const bloom = bytes && Bloom.deserialize(bytes);
    if (!bloom) return fail(400, "POST /iceberg/bloom/deserialize: data is not a base64 Parquet split block bloom filter");
    saveBloom(namespace, bloom, null, null, 0);
    return json({ namespace, sizeBytes: bloom.sizeBytes }, 201);
  }));

  // ---- range ----
  const rangeOf = (name: string, route: string): RangeIndex => {
    const row = first<{ doc: string }>(sql, "SELECT doc FROM ix_ranges WHERE name = ?", name);
    return row ? (JSON.parse(row.doc) as RangeIndex) : refuse(404, `${route}: no range index ${name}`);
  };
  const saveRange = (name: string, index: RangeIndex): void => void sql.exec("INSERT OR REPLACE INTO ix_ranges (name, doc) VALUES (?, ?)", name, JSON.stringify(index));
  router.post("/iceberg/range/build", withBody(v.object({
    data: v.array(v.record(), { min: 1, max: MAX_ITEMS }),
    columns: v.array(v.string({ pattern: FIELD, expected: "a column name" }), { min: 1, max: 32 }),
    blockSize: v.optional(v.number({ integer: true, min: 1, max: MAX_ITEMS })),
    namespace: IndexName,
  }), ({ data, columns, blockSize, namespace }) => {
    const index = buildRange(data, columns, blockSize ?? 1000);
    saveRange(namespace, index);
    return json({ namespace, rows: index.rows, blocks: index.blocks.length, columns }, 201);
  }));
  const summary = (name: string, index: RangeIndex) => ({
    namespace: name,
    rows: index.rows,
    blocks: index.blocks.length,
    blockSize: index.blockSize,
    columns: Object.fromEntries(index.columns.map((c) => {
      const all = buildRange(index.blocks.flatMap((b) => [{ [c]: b.columns[c]?.min }, { [c]: b.columns[c]?.max }]), [c], Number.MAX_SAFE_INTEGER).blocks[0]?.columns[c];
      return [c, { min: all?.min ?? null, max: all?.max ?? null, nulls: index.blocks.reduce((s, b) => s + (b.columns[c]?.nulls ?? 0), 0) }];
    })),
  });
  router.get("/iceberg/range/stats", withQuery(IndexQuery, (query, request) => {
    const name = indexNameOf(request, query);
    return json(summary(name, rangeOf(name, "GET /iceberg/range/stats")));
  }));
  router.get("/iceberg/range/block-stats", withQuery(IndexQuery, (query, request) => {
    const name = indexNameOf(request, query);
    return json({ namespace: name, blocks: rangeOf(name, "GET /iceberg/range/block-stats").blocks.map((b, i) => ({ block: i, ...b })) });
  }));
  router.post("/iceberg/range/prune", withBody(v.object({
    namespace: IndexName,
    column: v.optional(v.string({ pattern: FIELD })),
    min: v.optional(RangeValue),
    max: v.optional(RangeValue),
    conditions: v.optional(v.array(ConditionBody, { min: 1, max: 32 })),
  }), ({ namespace, column, min, max, conditions }) => {
    const index = rangeOf(namespace, "POST /iceberg/range/prune");
    const conds = conditions ?? (column ? [{ column, min, max }] : []);
    if (conds.length === 0) return fail(400, "POST /iceberg/range/prune: give column (with min and/or max) or conditions");
    const unknown = conds.find((c) => !index.columns.includes(c.column));
    if (unknown) return fail(400, `POST /iceberg/range/prune: ${namespace} has no column ${unknown.column} (columns: ${index.columns.join(", ")})`);
    const blocks = pruneRange(index, conds);
    return json({
      namespace,
      totalBlocks: index.blocks.length,
      matchingBlocks: blocks.length,
      prunedBlocks: index.blocks.length - blocks.length,
      blocks,
      rows: blocks.reduce((s, i) => s + (index.blocks[i]?.rows ?? 0), 0),
    });
  }));
  router.post("/iceberg/range/serialize", withBody(v.object({ namespace: IndexName, destination: v.optional(Location) }), async ({ namespace, destination }) => {
    const index = rangeOf(namespace, "POST /iceberg/range/serialize");
    const bytes = new TextEncoder().encode(JSON.stringify({ format: "perfdo-range-v1", ...index }));
    if (!destination) return json({ namespace, bytes: bytes.length, data: toBase64(bytes) });
    await writeLocation(ctx.store, destination, bytes, "POST /iceberg/range/serialize");
    return json({ namespace, destination, bytes: bytes.length }, 201);
  }));
  router.post("/iceberg/range/deserialize", withBody(v.object({ namespace: IndexName, source: Location }), async ({ namespace, source }) => {
    const route = "POST /iceberg/range/deserialize";
    const read = await readJsonLocation(ctx.store, source, route);
    const index = (read ?? {}) as RangeIndex & { format?: string };
    if (index.format !== "perfdo-range-v1" || !Array.isArray(index.blocks)) return fail(400, `${route}: ${source} is not a range index`);
    saveRange(namespace, { rows: index.rows, blockSize: index.blockSize, columns: index.columns, blocks: index.blocks });
    return json({ namespace, source, blocks: index.blocks.length, rows: index.rows }, 201);
  }));

  // ---- inverted ----
  // One index per name (`namespace`, "default" when absent); re-indexing a document replaces its terms.
  const indexDocs = (name: string, docs: Array<{ id: string; text: string }>): Response => {
    const have = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM ix_docs WHERE name = ?", name)?.n ?? 0;
    if (have + docs.length > MAX_INDEX_DOCS) return fail(413, `inverted index ${name} would hold more than ${MAX_INDEX_DOCS} documents (has ${have})`);
    let postings = 0;
    transaction(() => {
      for (const d of docs) {
        // Re-indexed: its old terms go first. INDEXED BY: SQLite's planner otherwise walks the
        // primary key's `name` prefix, every posting of the index (10x slower at 3,200 documents).
        if (first(sql, "SELECT 1 AS x FROM ix_docs WHERE name = ? AND id = ?", name, d.id)) sql.exec("DELETE FROM ix_postings INDEXED BY ix_postings_doc WHERE name = ? AND id = ?", name, d.id);
        const tf = new Map<string, number>();
        for (const t of terms(d.text)) tf.set(t, (tf.get(t) ?? 0) + 1);
        for (const [t, n] of tf) sql.exec("INSERT INTO ix_postings (name, term, id, tf) VALUES (?, ?, ?, ?)", name, t, d.id, n);
        sql.exec("INSERT OR REPLACE INTO ix_docs (name, id, terms) VALUES (?, ?, ?)", name, d.id, tf.size);
        postings += tf.size;
      }
    });
    return json({ namespace: name, indexed: docs.length, postings }, 201);
  };
  const nameOr = (n: string | undefined) => n ?? "default";
  router.post("/iceberg/inverted/index", withBody(v.object({ id: DocId, text: DocText, namespace: v.optional(IndexName) }), ({ id, text, namespace }) => indexDocs(nameOr(namespace), [{ id, text }])));
  router.post("/iceberg/inverted/batch", withBody(v.object({ documents: v.array(Doc, { min: 1, max: 10_000 }), namespace: v.optional(IndexName) }), ({ documents, namespace }) => indexDocs(nameOr(namespace), documents)));
  router.post("/iceberg/inverted/lookup", withBody(v.object({ term: v.string({ min: 1, pattern: /^.{1,200}$/s }), namespace: v.optional(IndexName), limit: v.optional(v.number({ integer: true, min: 1, max: 10_000 })) }), ({ term, namespace, limit }) => {
    const name = nameOr(namespace);
    const t = terms(term)[0] ?? "";
    const count = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM ix_postings WHERE name = ? AND term = ?", name, t)?.n ?? 0;
    const documents = all<{ id: string; tf: number }>(sql, "SELECT id, tf FROM ix_postings WHERE name = ? AND term = ? ORDER BY id LIMIT ?", name, t, limit ?? 1000);
    return json({ namespace: name, term: t, count, documents: documents.map((d) => d.id), frequencies: documents.map((d) => d.tf) });
  }));
  router.post("/iceberg/inverted/query", withBody(v.object({
    terms: v.array(v.string({ min: 1, pattern: /^.{1,200}$/s }), { min: 1, max: 32 }),
    operation: v.optional(v.literal("AND", "OR", "NOT", "and", "or", "not")),
    namespace: v.optional(IndexName),
    limit: v.optional(v.number({ integer: true, min: 1, max: 10_000 })),
  }), ({ terms: raw, operation, namespace, limit }) => {
    const name = nameOr(namespace);
    const ts = [...new Set(raw.map((r) => terms(r)[0] ?? ""))];
    const op = (operation ?? "AND").toUpperCase();
    const marks = ts.map(() => "?").join(", ");
    // AND: documents with every term; OR: with any; NOT: with the first term and none of the others.
    const query =
      op === "AND" ? `SELECT id FROM ix_postings WHERE name = ? AND term IN (${marks}) GROUP BY id HAVING COUNT(*) = ${ts.length}`
      : op === "OR" ? `SELECT DISTINCT id FROM ix_postings WHERE name = ? AND term IN (${marks})`
      : `SELECT id FROM ix_postings WHERE name = ? AND term = ? EXCEPT SELECT id FROM ix_postings WHERE name = ? AND term IN (${ts.slice(1).map(() => "?").join(", ") || "NULL"})`;
    const params = op === "NOT" ? [name, ts[0] as string, name, ...ts.slice(1)] : [name, ...ts];
    const ids = all<{ id: string }>(sql, `${query} ORDER BY id`, ...params).map((r) => r.id);
    return json({ namespace: name, operation: op, terms: ts, count: ids.length, documents: ids.slice(0, limit ?? 1000) });
  }));
  const serialized = (name: string): Uint8Array => {
    const ids = all<{ id: string }>(sql, "SELECT id FROM ix_docs WHERE name = ? ORDER BY id", name).map((r) => r.id);
    const at = new Map(ids.map((id, i) => [id, i]));
    const postings: Record<string, number[]> = {};
    for (const p of sql.exec<{ term: string; id: string }>("SELECT term, id FROM ix_postings WHERE name = ? ORDER BY term, id", name)) (postings[p.term] ??= []).push(at.get(p.id) as number);
    return new TextEncoder().encode(JSON.stringify({ format: "perfdo-inverted-v1", documents: ids, postings }));
  };
  router.get("/iceberg/inverted/stats", withQuery(IndexQuery, (query, request) => {
    const name = indexNameOf(request, query);
    const docs = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM ix_docs WHERE name = ?", name)?.n ?? 0;
    const t = first<{ terms: number; postings: number }>(sql, "SELECT COUNT(DISTINCT term) AS terms, COUNT(*) AS postings FROM ix_postings WHERE name = ?", name);
    return json({ namespace: name, documents: docs, termCount: t?.terms ?? 0, postings: t?.postings ?? 0, sizeBytes: serialized(name).length });
  }));
  router.post("/iceberg/inverted/serialize", withBody(v.object({ destination: Location, namespace: v.optional(IndexName) }), async ({ destination, namespace }) => {
    const bytes = serialized(nameOr(namespace));
    await writeLocation(ctx.store, destination, bytes, "POST /iceberg/inverted/serialize");
    return json({ namespace: nameOr(namespace), destination, bytes: bytes.length }, 201);
  }));
  router.post("/iceberg/inverted/clear", withBody(v.object({ namespace: v.optional(IndexName) }), ({ namespace }) => {
    const name = nameOr(namespace);
    const docs = transaction(() => {
      const n = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM ix_docs WHERE name = ?", name)?.n ?? 0;
      sql.exec("DELETE FROM ix_postings WHERE name = ?", name);
      sql.exec("DELETE FROM ix_docs WHERE name = ?", name);
      return n;
    });
    return json({ namespace: name, cleared: docs });
  }));
}

/** What a search manifest built from this object's indexes says of one (search-manifest.ts). */
export function describeIndex(sql: SqlStorage, type: string, name: string): Record<string, unknown> | null {
  if (type === "bloom") {
    const row = first<{ items: number | null; fpr: number | null }>(sql, "SELECT items, fpr FROM ix_blooms WHERE name = ?", name);
    return row ? { fpr: row.fpr ?? 0.01, items: row.items ?? 0 } : null;
  }
  if (type === "range") return first(sql, "SELECT name FROM ix_ranges WHERE name = ?", name) ? {} : null;
  if (type === "inverted") {
    const row = first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM ix_docs WHERE name = ?", name);
    return row && row.n > 0 ? { documents: row.n } : null;
  }
  return null;
}

export const icebergIndexes: Feature = {
  name: "iceberg-indexes",
  serves: ["iceberg"],
  schema: { migrations: [migrateIndexes] },
  routes: indexRoutes,
};
