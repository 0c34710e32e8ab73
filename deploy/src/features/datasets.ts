import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s as v, whenBody, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { ReadOnlySql } from "../regions";
import { all, first, param } from "../sql";

// The standards datasets (contract §10) on naics., unspsc., onet. and standards.: NAICS industries,
// UNSPSC commodities, O*NET occupations, tasks and tools, each a SQLite table. Imported through batch
// endpoints (`POST /industries/batch`, `/commodities/batch`, `/occupations/batch`, `/tasks/batch`,
// `/tools/batch`), then queried: `POST /datasets/query {sql, params}` (a single read-only SELECT over
// this object's SQLite), `GET /tasks?occupation&minImportance&type`, `GET /tools?occupation|category|unspsc`,
// `GET /occupations/:code/related?via=tools`, and on standards. `POST /query {sql, params}` for
// joins across datasets.

const NAMESPACES = ["naics", "unspsc", "onet", "standards"];

/** Each table's columns; `required` are NOT NULL (a row must give them, not empty). */
const TABLES: Record<string, { table: string; columns: string[]; required: string[] }> = {
  industries: { table: "industries", columns: ["code", "title", "level", "parent"], required: ["code", "title"] },
  commodities: { table: "commodities", columns: ["code", "title", "segment", "family", "class", "segment_title"], required: ["code", "title"] },
  occupations: { table: "occupations", columns: ["code", "title", "major_group"], required: ["code", "title"] },
  tasks: { table: "tasks", columns: ["id", "occupation", "task", "type", "importance"], required: ["id", "occupation", "task"] },
  tools: { table: "tools", columns: ["id", "occupation", "tool", "category", "unspsc"], required: ["id", "occupation", "tool"] },
};

function migrateDatasets(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS industries (code TEXT PRIMARY KEY, title TEXT NOT NULL, level INTEGER, parent TEXT)");
  sql.exec("CREATE TABLE IF NOT EXISTS commodities (code TEXT PRIMARY KEY, title TEXT NOT NULL, segment TEXT, family TEXT, class TEXT, segment_title TEXT)");
  sql.exec("CREATE INDEX IF NOT EXISTS commodities_class ON commodities (class)");
  sql.exec("CREATE TABLE IF NOT EXISTS occupations (code TEXT PRIMARY KEY, title TEXT NOT NULL, major_group TEXT)");
  sql.exec("CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, occupation TEXT NOT NULL, task TEXT NOT NULL, type TEXT, importance REAL)");
  sql.exec("CREATE INDEX IF NOT EXISTS tasks_occupation ON tasks (occupation, importance)");
  sql.exec("CREATE TABLE IF NOT EXISTS tools (id TEXT PRIMARY KEY, occupation TEXT NOT NULL, tool TEXT NOT NULL, category TEXT, unspsc TEXT)");
  sql.exec("CREATE INDEX IF NOT EXISTS tools_occupation ON tools (occupation)");
  sql.exec("CREATE INDEX IF NOT EXISTS tools_unspsc ON tools (unspsc)");
  sql.exec("CREATE INDEX IF NOT EXISTS tools_category ON tools (category)");
}

/** A batch of rows for one table: each column a string or a number (or absent), the required ones given. */
const rowsOf = ({ columns, required }: { columns: string[]; required: string[] }) => {
  const Cell = v.union(v.string({ max: 4096 }), v.number(), "a string or a number");
  const filled = v.union(v.string({ min: 1, max: 4096 }), v.number(), "a string that is not empty, or a number");
  return v.object({ rows: v.array(v.object(Object.fromEntries(columns.map((c) => [c, required.includes(c) ? filled : v.optional(Cell)]))), { min: 1, max: 5000 }) });
};
const QueryBody = v.object({ sql: ReadOnlySql, params: v.optional(v.array(v.scalar())) });

function datasetRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  for (const [path, spec] of Object.entries(TABLES)) {
    const { table, columns } = spec;
    // Rows are objects with (some of) the table's columns; a column left out or "" is null. A body
    // without `rows` falls through (onet.ts reads O*NET's own `{tools}` and `{tasks}` there).
    router.post(`/${path}/batch`, (path === "tools" || path === "tasks" ? whenBody : withBody)(rowsOf(spec), ({ rows }) => {
      const insert = `INSERT OR REPLACE INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
      ctx.transaction(() => rows.forEach((r) => sql.exec(insert, ...columns.map((c) => ((r as Record<string, unknown>)[c] === undefined || (r as Record<string, unknown>)[c] === "" ? null : ((r as Record<string, unknown>)[c] as SqlStorageValue))))));
      return json({ imported: rows.length, total: first<{ n: number }>(sql, `SELECT COUNT(*) AS n FROM ${table}`)?.n ?? 0 }, 201);
    }));
  }
  const query = withBody(QueryBody, ({ sql: text, params = [] }) => {
    try {
      const rows = all(sql, text, ...params);
      return json({ rows, rowCount: rows.length });
    } catch (err) {
      return fail(400, `sql: ${(err as Error).message}`);
    }
  });
  router.post("/datasets/query", query);
  router.post("/query", (request) => (ctx.namespace() === "standards" ? query(request) : undefined));
  const Limit = v.withDefault(q.int({ min: 1, max: 1000 }), 100);
  router.get("/tasks", withQuery({ occupation: v.optional(q.string()), minImportance: v.optional(q.number({ min: 0, max: 100 })), type: v.optional(q.string()), majorGroup: v.optional(q.string({ pattern: /^\d{2}$/, expected: "two digits" })), limit: Limit }, (query) => {
    const where: string[] = [];
    const params: SqlStorageValue[] = [];
    if (query.occupation) (where.push("occupation = ?"), params.push(query.occupation));
    if (query.minImportance !== undefined) (where.push("importance >= ?"), params.push(query.minImportance));
    if (query.type) (where.push("type = ?"), params.push(query.type));
    if (query.majorGroup) (where.push("occupation LIKE ?"), params.push(`${query.majorGroup}-%`));
    const limit = query.limit;
    const rows = all(sql, `SELECT * FROM tasks${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY importance DESC, id LIMIT ?`, ...params, limit);
    return json({ tasks: rows, count: rows.length });
  }));
  router.get("/tools", withQuery({ occupation: v.optional(q.string()), category: v.optional(q.string()), unspsc: v.optional(q.string()), limit: Limit }, (query) => {
    const by = (["occupation", "category", "unspsc"] as const).find((k) => query[k] !== undefined);
    const rows = by ? all(sql, `SELECT * FROM tools WHERE ${by} = ? ORDER BY id LIMIT ?`, query[by] as string, query.limit) : all(sql, "SELECT * FROM tools ORDER BY id LIMIT ?", query.limit);
    return json({ tools: rows, count: rows.length });
  }));
  // "equipment" is O*NET's own word for its tools.
  router.get("/occupations/:code/related", withQuery({ via: v.withDefault(q.oneOf("tools", "equipment"), "tools") }, ({ via }, request) => {
    const code = param(request, "code");
    // Occupations sharing the most tool commodities with this one.
    const rows = all(
      sql,
      `SELECT o.code, o.title, COUNT(DISTINCT t2.unspsc) AS shared FROM tools t1 JOIN tools t2 ON t2.unspsc = t1.unspsc AND t2.occupation != t1.occupation
       JOIN occupations o ON o.code = t2.occupation WHERE t1.occupation = ? GROUP BY o.code ORDER BY shared DESC, o.code LIMIT 10`,
      code,
    );
    return json({ occupation: code, via, related: rows });
  }));
  router.get("/datasets/stats", () => json(Object.fromEntries(Object.values(TABLES).map(({ table }) => [table, first<{ n: number }>(sql, `SELECT COUNT(*) AS n FROM ${table}`)?.n ?? 0]))));
}

export const datasets: Feature = {
  name: "datasets",
  serves: NAMESPACES,
  shares: [
    { route: "POST /tools/batch", with: "onet", how: "a body {rows} is rows of the tools table; O*NET's {tools: [{id, name, occupation_codes, …}]} falls through to onet" },
    { route: "POST /tasks/batch", with: "onet", how: "a body {rows} is rows of the tasks table; O*NET's {tasks: [{id, occupation_code, description, …}]} falls through to onet" },
  ],
  schema: { migrations: [migrateDatasets] },
  routes: datasetRoutes,
};
