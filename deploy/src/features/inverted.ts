import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { check, s as v, withBody } from "../input";
import { fail, isObject, json } from "../http";
import { terms } from "../search-text";
import { changed, all, first, parseJson, type Row } from "../sql";

// inverted.perf.do (contract §6): full-text search over documents, built on SQLite FTS5 (an
// inverted index with positions, BM25 ranking, phrase and NEAR queries, snippets) rather than a
// hand-written one. Fields indexed: `title`, `content` (with `body`, `text`, `description` and any
// other string field appended) and `tags` (a string or an array). Queries:
// - a string: any of its words (OR), ranked by BM25 (k1 1.2, b 0.75, FTS5's defaults);
// - {and: [q…]}, {or: [q…]}, {and: [q…], not: [q…]}, nested; a string item is its words ANDed;
// - {phrase: "a b c", slop: n}: the words in order and adjacent (slop 0), or all within n tokens
//   of each other in any order (slop n, FTS5 NEAR), which is how Lucene's slop is approximated.
// `filter {field, value}` matches a document field exactly; `facets [field]` counts the values of
// each field over all matches (not just the page); `highlight {fields, preTag, postTag,
// fragmentSize}` returns a fragment of each field around the matches (fragmentSize in characters,
// turned into FTS5's snippet length in tokens at ~6 characters per token).

const COLUMNS = ["title", "content", "tags"] as const;
const CONTENT_FIELDS = ["content", "body", "text", "description"];
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

interface DocRow extends Row {
  doc: number;
  id: string;
  fields: string;
}

function migrateInverted(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS inv_docs (doc INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, fields TEXT NOT NULL)");
  sql.exec("CREATE VIRTUAL TABLE IF NOT EXISTS inv_fts USING fts5(title, content, tags, tokenize = 'unicode61')");
}

type Query = string | { and?: Query[]; or?: Query[]; not?: Query[]; phrase?: string; slop?: number };

const quoted = (words: string[]): string => words.map((w) => `"${w}"`).join(" ");

/** A search query → an FTS5 MATCH expression; every word quoted, so input cannot inject FTS syntax. */
export function matchExpression(q: Query, top = true): string | null {
  if (typeof q === "string") {
    const words = terms(q);
    if (words.length === 0) return null;
    return words.map((w) => `"${w}"`).join(top ? " OR " : " AND ");
  }
  if (!isObject(q)) return null;
  if (typeof q.phrase === "string") {
    const words = terms(q.phrase);
    if (words.length === 0) return null;
    const slop = Math.max(0, Math.trunc(Number(q.slop ?? 0)) || 0);
    return slop === 0 || words.length === 1 ? `"${words.join(" ")}"` : `NEAR(${quoted(words)}, ${slop})`;
  }
  const group = (items: Query[] | undefined, op: string): string | null => {
    const parts = (items ?? []).map((i) => matchExpression(i, false)).filter((p): p is string => p !== null);
    return parts.length === 0 ? null : parts.map((p) => `(${p})`).join(` ${op} `);
  };
  const positive = Array.isArray(q.and) ? group(q.and, "AND") : Array.isArray(q.or) ? group(q.or, "OR") : null;
  if (!positive) return null;
  const negative = Array.isArray(q.not) ? group(q.not, "OR") : null;
  return negative ? `(${positive}) NOT (${negative})` : positive;
}

function columnsOf(doc: Record<string, unknown>): [string, string, string] {
  const title = typeof doc.title === "string" ? doc.title : "";
  const content = [
    ...CONTENT_FIELDS.map((f) => doc[f]),
    ...Object.entries(doc).filter(([k, v]) => typeof v === "string" && k !== "id" && k !== "title" && k !== "tags" && !CONTENT_FIELDS.includes(k)).map(([, v]) => v),
  ].filter((v): v is string => typeof v === "string").join("\n");
  const tags = Array.isArray(doc.tags) ? doc.tags.filter((t) => typeof t === "string").join(" ") : typeof doc.tags === "string" ? doc.tags : "";
  return [title, content, tags];
}

// A document: an id (string or number) and any fields; title, content-like fields and tags are indexed.
const Doc = v.object({ id: v.union(v.string(), v.number(), "a string or a number") });
const IndexBody = v.object({ document: v.optional(Doc) });
const BatchBody = v.object({ documents: v.array(Doc, { min: 1, max: 5000 }) });
const FieldName = v.string({ pattern: FIELD, expected: "a field name (a letter or _, then letters, digits and _)" });
const SearchBody = v.object({
  // Words, or {and|or: [...], not?: [...]}, or {phrase, slop?}: recursive, so read by matchExpression.
  query: v.parsed("words, or {and|or: [...], not?: [...]}, or {phrase, slop?}", (q) => matchExpression(q as Query)),
  algorithm: v.optional(v.literal("bm25")),
  limit: v.optional(v.number({ integer: true, min: 1, max: 1000 })),
  offset: v.optional(v.number({ integer: true, min: 0 })),
  filter: v.optional(v.object({ field: FieldName, value: v.value() })),
  highlight: v.optional(v.object({ fields: v.optional(v.array(v.literal(...COLUMNS))), preTag: v.optional(v.string()), postTag: v.optional(v.string()), fragmentSize: v.optional(v.number({ positive: true })) })),
  facets: v.optional(v.array(FieldName)),
});

function invertedRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const index = (docs: Array<Record<string, unknown>>): number => {
    ctx.transaction(() => {
      for (const d of docs) {
        const id = String(d.id);
        const old = first<{ doc: number }>(sql, "SELECT doc FROM inv_docs WHERE id = ?", id);
        if (old) {
          sql.exec("DELETE FROM inv_fts WHERE rowid = ?", old.doc);
          sql.exec("DELETE FROM inv_docs WHERE doc = ?", old.doc);
        }
        const row = first<{ doc: number }>(sql, "INSERT INTO inv_docs (id, fields) VALUES (?, ?) RETURNING doc", id, JSON.stringify(d));
        sql.exec("INSERT INTO inv_fts (rowid, title, content, tags) VALUES (?, ?, ?, ?)", row?.doc as number, ...columnsOf(d));
      }
    });
    return docs.length;
  };
  const count = (): number => first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM inv_docs")?.n ?? 0;

  // `{document: {...}}`, or the body itself as the document.
  router.post("/inverted/index", withBody(IndexBody, (body) => {
    const doc = body.document ?? check(Doc, body);
    if (typeof doc === "string") return fail(400, `POST /inverted/index: ${doc}`);
    return json({ indexed: index([doc]), documentCount: count() }, 201);
  }));
  router.post("/inverted/batch-index", withBody(BatchBody, ({ documents }) => json({ indexed: index(documents), documentCount: count() }, 201)));

  router.post("/inverted/search", withBody(SearchBody, (body) => {
    const match = body.query;
    const limit = body.limit ?? 10;
    const offset = body.offset ?? 0;
    const params: SqlStorageValue[] = [match];
    let where = "inv_fts MATCH ?";
    if (body.filter !== undefined) {
      const f = body.filter;
      where += ` AND json_extract(d.fields, '$.${f.field}') = ?`;
      params.push(typeof f.value === "boolean" ? (f.value ? 1 : 0) : (f.value as SqlStorageValue));
    }
    const from = "FROM inv_fts JOIN inv_docs d ON d.doc = inv_fts.rowid";
    const hl = body.highlight;
    const hlFields = hl?.fields ?? [];
    const pre = hl?.preTag ?? "<em>";
    const post = hl?.postTag ?? "</em>";
    const tokens = Math.min(64, Math.max(4, Math.round((hl?.fragmentSize ?? 150) / 6)));
    const snippets = hlFields.map((f, i) => `, snippet(inv_fts, ${COLUMNS.indexOf(f)}, ?, ?, '…', ${tokens}) AS h${i}`).join("");
    const snippetParams = hlFields.flatMap(() => [pre, post]);
    let rows: Array<DocRow & { score: number } & Record<string, string>>;
    let total: number;
    try {
      rows = all(sql, `SELECT d.doc, d.id, d.fields, -bm25(inv_fts) AS score${snippets} ${from} WHERE ${where} ORDER BY score DESC, d.doc LIMIT ? OFFSET ?`, ...snippetParams, ...params, limit, offset);
      total = first<{ n: number }>(sql, `SELECT COUNT(*) AS n ${from} WHERE ${where}`, ...params)?.n ?? 0;
    } catch (err) {
      return fail(400, `query: ${(err as Error).message}`);
    }
    const facets: Record<string, Record<string, number>> = {};
    for (const field of body.facets ?? []) {
      const counts = all<{ v: SqlStorageValue; n: number }>(sql, `SELECT json_extract(d.fields, '$.${field}') AS v, COUNT(*) AS n ${from} WHERE ${where} GROUP BY v ORDER BY n DESC, v LIMIT 100`, ...params);
      facets[field] = Object.fromEntries(counts.filter((c) => c.v !== null).map((c) => [String(c.v), c.n]));
    }
    return json({
      results: rows.map((r) => ({
        id: r.id,
        score: r.score,
        document: parseJson(r.fields),
        highlights: hlFields.length > 0 ? Object.fromEntries(hlFields.map((f, i) => [f, r[`h${i}`]])) : undefined,
      })),
      total,
      limit,
      offset,
      facets: Object.keys(facets).length > 0 ? facets : undefined,
      query: match,
    });
  }));
  router.get("/inverted/stats", () => json({ documentCount: count(), fields: COLUMNS, ranking: "bm25" }));
  router.post("/inverted/clear", () => json({ cleared: ctx.transaction(() => (sql.exec("DELETE FROM inv_fts"), changed(sql, "DELETE FROM inv_docs"))) }));
}

export const inverted: Feature = {
  name: "inverted",
  serves: ["inverted"],
  schema: { migrations: [migrateInverted] },
  routes: invertedRoutes,
};
