import type { RouterType } from "itty-router";
import { type Infer, limitQuery, q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { cosine, ftsQuery, termVector } from "../search-text";
import { all, param, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";

// Search store (contract §5). Full-text search is SQLite FTS5 with BM25 ranking. The reference
// Worker has no embedding model, so "semantic" is a documented, deterministic stand-in: cosine
// similarity of term-frequency vectors, which rewards shared vocabulary regardless of word order.
// "hybrid" blends the two scores (normalised BM25 and cosine, half each).

interface DocRow extends Row {
  id: string;
  type: string;
  content: string;
}

export function migrateSearch(sql: SqlStorage): void {
  sql.exec("CREATE VIRTUAL TABLE IF NOT EXISTS search_docs USING fts5(id UNINDEXED, type UNINDEXED, content, tokenize = 'porter unicode61')");
}

// `$id`/`$type` or `id`/`type`; an id under either name is needed (a rule across two fields).
const Doc = v.object({ $id: v.optional(v.string()), id: v.optional(v.string()), $type: v.optional(v.string()), type: v.optional(v.string()), content: v.string() });
const Docs = v.union(v.array(Doc), v.object({ documents: v.array(Doc) }), "a JSON array of documents, or {documents: [...]}");
const NO_ID = "a document needs a string $id";

function indexDoc(sql: SqlStorage, input: Infer<typeof Doc>): string | null {
  const id = input.$id ?? input.id;
  if (id === undefined) return NO_ID;
  const type = input.$type ?? input.type ?? "Document";
  sql.exec("DELETE FROM search_docs WHERE id = ?", id); // re-indexing replaces
  sql.exec("INSERT INTO search_docs (id, type, content) VALUES (?, ?, ?)", id, type, input.content);
  return null;
}

interface Hit {
  $id: string;
  $type: string;
  score: number;
  snippet?: string;
}

function keywordHits(sql: SqlStorage, q: string, type: string | null, limit: number): Hit[] {
  const match = ftsQuery(q);
  if (!match) return [];
  const rows = all<{ id: string; type: string; rank: number; snippet: string }>(
    sql,
    `SELECT id, type, bm25(search_docs) AS rank, snippet(search_docs, 2, '<mark>', '</mark>', '…', 12) AS snippet
       FROM search_docs WHERE search_docs MATCH ? ${type ? "AND type = ?" : ""} ORDER BY rank LIMIT ?`,
    match, ...(type ? [type] : []), limit,
  );
  return rows.map((r) => ({ $id: r.id, $type: r.type, score: -r.rank, snippet: r.snippet })); // bm25() is lower-is-better
}

function semanticHits(sql: SqlStorage, q: string, type: string | null, limit: number): Hit[] {
  const query = termVector(q);
  const docs = all<DocRow>(sql, `SELECT id, type, content FROM search_docs ${type ? "WHERE type = ?" : ""}`, ...(type ? [type] : []));
  return docs
    .map((d) => ({ $id: d.id, $type: d.type, score: cosine(query, termVector(d.content)) }))
    .filter((h) => h.score > 0)
    .sort((a, b) => b.score - a.score || a.$id.localeCompare(b.$id))
    .slice(0, limit);
}

export function searchRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  router.post("/search/index/batch", withBody(Docs, (body) => {
    const items = Array.isArray(body) ? body : body.documents;
    const missing = items.findIndex((d) => (d.$id ?? d.id) === undefined);
    if (missing >= 0) return fail(400, `POST /search/index/batch: item ${missing}: ${NO_ID}`);
    transaction(() => items.forEach((item) => indexDoc(sql, item)));
    return json({ indexed: items.length }, 201);
  }));
  router.post("/search/index", withBody(Doc, (body) => {
    const error = indexDoc(sql, body);
    return error ? fail(400, `POST /search/index: ${error}`) : json({ indexed: 1, $id: body.$id ?? body.id }, 201);
  }));
  router.delete("/search/index/:id", (request) => {
    const id = param(request, "id");
    return sql.exec("DELETE FROM search_docs WHERE id = ?", id).rowsWritten > 0 ? json({ $id: id, deleted: true }) : fail(404, `document ${id} not indexed`);
  });
  // `?q=` (not blank), `&type=`, `&limit=` (1–100, 10), `&facets=true` on the keyword search.
  const SearchQuery = { q: q.string({ min: 1, max: 500, pattern: /\S/, expected: "a search text (not blank)" }), type: v.optional(q.string()), facets: v.optional(q.bool()), ...limitQuery(10, 100) };
  type Search = { q: string; type?: string; facets?: boolean; limit: number };
  const query = (p: Search) => ({ ...p, type: p.type ?? null });
  router.get("/search/semantic", withQuery(SearchQuery, (s) => {
    const p = query(s);
    return json({ query: p.q, mode: "semantic", results: semanticHits(sql, p.q, p.type, p.limit) });
  }));
  router.get("/search/hybrid", withQuery(SearchQuery, (s) => {
    const p = query(s);
    const keyword = keywordHits(sql, p.q, p.type, 100);
    const top = Math.max(...keyword.map((h) => h.score), 0) || 1;
    const scores = new Map<string, Hit>();
    for (const h of keyword) scores.set(h.$id, { ...h, score: (0.5 * h.score) / top });
    for (const h of semanticHits(sql, p.q, p.type, 100)) {
      const prior = scores.get(h.$id);
      scores.set(h.$id, { ...(prior ?? h), score: (prior?.score ?? 0) + 0.5 * h.score });
    }
    const results = [...scores.values()].sort((a, b) => b.score - a.score || a.$id.localeCompare(b.$id)).slice(0, p.limit);
    return json({ query: p.q, mode: "hybrid", results });
  }));
  router.get("/search", withQuery(SearchQuery, (s) => {
    const p = query(s);
    const results = keywordHits(sql, p.q, p.type, p.limit);
    const body: Record<string, unknown> = { query: p.q, mode: "keyword", results, total: results.length };
    if (p.facets === true) {
      const match = ftsQuery(p.q);
      body.facets = {
        type: Object.fromEntries(
          all<{ type: string; n: number }>(sql, "SELECT type, COUNT(*) AS n FROM search_docs WHERE search_docs MATCH ? GROUP BY type ORDER BY n DESC", match ?? '""').map((r) => [r.type, r.n]),
        ),
      };
    }
    return json(body);
  }));
}

export const search: Feature = {
  name: "search",
  serves: ["stores"],
  schema: { migrations: [migrateSearch] },
  routes: searchRoutes,
};
