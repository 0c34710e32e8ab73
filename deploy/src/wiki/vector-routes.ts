import type { RouterType } from "itty-router";
import { s as v, withBody } from "../input";
import type { FeatureContext } from "../feature";
import { exact } from "../features/vector";
import { fail, json, refuse } from "../http";
import { EMBED_DIMS, hashedEmbedding } from "../search-text";
import { first } from "../sql";

// The vector routes the dictionary and encyclopedia families share (`/index/vector/…`), over a table
// of their own (`<table> (id TEXT PRIMARY KEY, vec BLOB)`): embeddings are a hashed bag of words of
// EMBED_DIMS dimensions, not the model a request names (the answer says which it used); search is
// exact (cosine against every vector, at most MAX_VECTORS).

const MAX_VECTORS = 20_000;
const Text = v.string({ pattern: /^[^]{0,100000}$/, expected: "a text of at most 100,000 characters" });
const Model = v.optional(v.string({ pattern: /^[\w./:-]{1,100}$/, expected: "a model name" }));
const Vec = v.array(v.number(), { min: 1, max: 4096 });
const Id = v.string({ min: 1, pattern: /^.{1,255}$/s, expected: "an id of 1-255 characters" });

export function vectorRoutes(router: RouterType, ctx: FeatureContext, table: "wp_vectors" | "wk_vectors"): void {
  const { sql, transaction } = ctx;
  const used = (model?: string) => ({ model: `hashed-bag-of-words-${EMBED_DIMS}`, requestedModel: model ?? null, dimensions: EMBED_DIMS });
  const count = () => first<{ n: number }>(sql, `SELECT COUNT(*) AS n FROM ${table}`)?.n ?? 0;
  const put = (items: Array<{ id: string; vector: number[] }>, route: string): number => {
    const dims = items[0]?.vector.length ?? 0;
    const wrong = items.find((e) => e.vector.length !== dims);
    if (wrong) return refuse(400, `${route}: ${wrong.id.slice(0, 40)} has ${wrong.vector.length} dimensions, the first ${dims}`);
    if (count() + items.length > MAX_VECTORS) return refuse(413, `${route}: the index would hold more than ${MAX_VECTORS} vectors`);
    transaction(() => items.forEach((e) => sql.exec(`INSERT OR REPLACE INTO ${table} (id, vec) VALUES (?, ?)`, e.id, new Uint8Array(Float32Array.from(e.vector).buffer))));
    return count();
  };
  router.post("/index/vector/embed", withBody(v.object({ text: Text, model: Model }), ({ text, model }) => json({ ...used(model), embedding: hashedEmbedding(text) })));
  router.post("/index/vector/batch-embed", withBody(v.object({ texts: v.array(Text, { min: 1, max: 500 }), model: Model }), ({ texts, model }) => json({ ...used(model), embeddings: texts.map(hashedEmbedding) })));
  router.post("/index/vector/build", withBody(v.object({ embeddings: v.array(v.object({ id: Id, vector: Vec }), { min: 1, max: 5_000 }), indexType: v.optional(v.string()), params: v.optional(v.record()) }), ({ embeddings, indexType }) => {
    const n = put(embeddings, "POST /index/vector/build");
    return json({ indexed: embeddings.length, vectors: n, dimensions: embeddings[0]?.vector.length, index: "flat", requestedIndexType: indexType ?? null }, 201);
  }));
  router.post("/index/vector/add", withBody(v.object({ id: Id, vector: Vec }), (e) => {
    const n = put([e], "POST /index/vector/add");
    return json({ added: e.id, vectors: n }, 201);
  }));
  router.post("/index/vector/clear", () => {
    const n = count();
    sql.exec(`DELETE FROM ${table}`);
    return json({ cleared: n });
  });
  router.post("/index/vector/search", withBody(v.object({ vector: Vec, k: v.optional(v.number({ integer: true, min: 1, max: 100 })) }), ({ vector, k }) => {
    const q = Float32Array.from(vector);
    const scored: Array<{ id: string; score: number }> = [];
    for (const row of sql.exec<{ id: string; vec: ArrayBuffer }>(`SELECT id, vec FROM ${table}`)) {
      const vec = new Float32Array(row.vec);
      if (vec.length === q.length) scored.push({ id: row.id, score: exact(q, vec, "cosine").score });
    }
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return json({ k: k ?? 10, searched: scored.length, exact: true, results: scored.slice(0, k ?? 10) });
  }));
}
