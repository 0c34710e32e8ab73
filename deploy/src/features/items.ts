import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s as v, withBody, withInput, withQuery } from "../input";
import { fail, json } from "../http";
import { all, first, param, parseJson } from "../sql";
import { UNCLAIMED } from "../namespaces";

// Plain items and numbered tables on the fresh objects cold-start work creates (`cold-write-<id>.`,
// `lazy-loading-<id>.`): the first operation such an object serves is what a cold start pays for, so
// these are the smallest real ones, a write, a point read, a filtered and sorted query, and one table
// among many (perf.do's own cold-start suite: write, read, query, lazy table loading).
//   POST /items {id?, …fields}      GET /items/:id       GET /query?id= | ?<field>=&sort=&limit=
//   POST /table<n> {key, data}      GET /table<n>?limit=  (n 0–63, each table created on first write)

const MAX_TABLES = 64;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function migrateItems(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS cold_items (id TEXT PRIMARY KEY, doc TEXT NOT NULL, written_at INTEGER NOT NULL)");
}

const Item = v.record();
const Row = v.object({ key: v.string({ min: 1 }), data: v.optional(v.value()), value: v.optional(v.value()) });

const tableName = (n: number): string => `cold_table_${n}`;

function itemsRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/items", withBody(Item, (body) => {
    const id = body.id === undefined ? crypto.randomUUID() : String(body.id);
    const doc = { ...body, id };
    sql.exec("INSERT INTO cold_items (id, doc, written_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, written_at = excluded.written_at", id, JSON.stringify(doc), Date.now());
    return json(doc, 201);
  }));
  router.get("/items/:id", (request) => {
    const id = param(request, "id");
    const row = first<{ doc: string }>(sql, "SELECT doc FROM cold_items WHERE id = ?", id);
    return row ? json(parseJson(row.doc)) : fail(404, `no item ${id}`);
  });
  // Equality on any top-level field (`?category=cat-5`), sorted by one (`sort=id`, `-id` descending).
  // Any other parameter is a filter: at most 16, each a field name and a value of at most 256 characters.
  router.get("/query", withQuery({ sort: v.withDefault(q.string({ max: 65 }), "id"), limit: v.withDefault(q.int({ min: 1, max: 1000 }), 100) }, ({ sort, limit }, request) => {
    const where: string[] = [];
    const params: string[] = [];
    const filters = [...new URL(request.url).searchParams].filter(([field]) => field !== "sort" && field !== "limit");
    if (filters.length > 16) return fail(400, `GET /query: ${filters.length} filters; at most 16`);
    for (const [field, value] of filters) {
      if (value.length > 256) return fail(400, `GET /query: query.${field.slice(0, 64)}: expected at most 256 characters`);
      if (!FIELD.test(field)) return fail(400, `GET /query: filter ${field.slice(0, 64)} is not a field name (letters, digits, _)`);
      where.push(field === "id" ? "id = ?" : `json_extract(doc, '$.${field}') = ?`);
      params.push(value);
    }
    const desc = sort.startsWith("-");
    const field = desc ? sort.slice(1) : sort;
    if (!FIELD.test(field)) return fail(400, `GET /query: sort ${sort.slice(0, 64)} is not a field name (letters, digits, _; - for descending)`);
    const order = field === "id" ? "id" : `json_extract(doc, '$.${field}')`;
    const rows = all<{ doc: string }>(sql, `SELECT doc FROM cold_items ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} ${desc ? "DESC" : "ASC"} LIMIT ?`, ...params, limit);
    return json({ items: rows.map((r) => parseJson(r.doc)), count: rows.length });
  }));
  const Table = { n: q.int({ min: 0, max: MAX_TABLES - 1 }) };
  const exists = (n: number): boolean => first(sql, "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", tableName(n)) !== undefined;
  router.post("/table:n", withInput({ params: Table, body: Row }, ({ params: { n }, body }) => {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${tableName(n)} (key TEXT PRIMARY KEY, data TEXT NOT NULL)`);
    sql.exec(`INSERT INTO ${tableName(n)} (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data`, body.key, JSON.stringify(body.data ?? body.value ?? null));
    return json({ table: n, key: body.key, written: true }, 201);
  }));
  router.get("/table:n", withInput({ params: Table, query: { limit: v.withDefault(q.int({ min: 1, max: 1000 }), 100) } }, ({ params: { n }, query: { limit } }) => {
    // A table never written is empty, not missing: the lazy-loading test reads before it knows.
    const rows = exists(n) ? all<{ key: string; data: string }>(sql, `SELECT key, data FROM ${tableName(n)} ORDER BY key LIMIT ?`, limit) : [];
    return json({ table: n, rows: rows.map((r) => ({ key: r.key, data: parseJson(r.data) })), count: rows.length });
  }));
}

export const items: Feature = {
  name: "items",
  serves: [UNCLAIMED],
  schema: { migrations: [migrateItems] },
  routes: itemsRoutes,
};
