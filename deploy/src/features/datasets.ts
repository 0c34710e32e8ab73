import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { s as v, whenBody, withBody } from "../body";
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

const TABLES: Record<string, { table: string; columns: string[] }> = {
  industries: { table: "industries", columns: ["code", "title", "level", "parent"] },
  commodities: { table: "commodities", columns: ["code", "title", "segment", "family", "class", "segment_title"] },
  occupations: { table: "occupations", columns: ["code", "title", "major_group"] },
  tasks: { table: "tasks", columns: ["id", "occupation", "task", "type", "importance"] },
  tools: { table: "tools", columns: ["id", "occupation", "tool", "category", "unspsc"] },
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

const RowsBody = v.object({ rows: v.array(v.record(), { min: 1, max: 5000 }) });
const QueryBody = v.object({ sql: ReadOnlySql, params: v.optional(v.array(v.scalar())) });

function datasetRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  for (const [path, { table, columns }] of Object.entries(TABLES)) {
    // Rows are objects with (some of) the table's columns; a column left out or "" is null. A body
    // without `rows` falls through (onet.ts reads O*NET's own `{tools}` and `{tasks}` there).
    router.post(`/${path}/batch`, (path === "tools" || path === "tasks" ? whenBody : withBody)(RowsBody, ({ rows }) => {
      const insert = `INSERT OR REPLACE INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
      ctx.transaction(() => rows.forEach((r) => sql.exec(insert, ...columns.map((c) => (r[c] === undefined || r[c] === "" ? null : (r[c] as SqlStorageValue))))));
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
  router.get("/tasks", (request) => {
    const q = new URL(request.url).searchParams;
    const where: string[] = [];
    const params: SqlStorageValue[] = [];
    if (q.get("occupation")) (where.push("occupation = ?"), params.push(q.get("occupation") as string));
    if (q.get("minImportance")) (where.push("importance >= ?"), params.push(Number(q.get("minImportance"))));
    if (q.get("type")) (where.push("type = ?"), params.push(q.get("type") as string));
    if (q.get("majorGroup")) (where.push("occupation LIKE ?"), params.push(`${q.get("majorGroup")}-%`));
    const limit = Math.min(Math.max(Number(q.get("limit") ?? 100) || 100, 1), 1000);
    const rows = all(sql, `SELECT * FROM tasks${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY importance DESC, id LIMIT ?`, ...params, limit);
    return json({ tasks: rows, count: rows.length });
  });
  router.get("/tools", (request) => {
    const q = new URL(request.url).searchParams;
    const by = ["occupation", "category", "unspsc"].find((k) => q.get(k) !== null);
    const limit = Math.min(Math.max(Number(q.get("limit") ?? 100) || 100, 1), 1000);
    const rows = by ? all(sql, `SELECT * FROM tools WHERE ${by} = ? ORDER BY id LIMIT ?`, q.get(by) as string, limit) : all(sql, "SELECT * FROM tools ORDER BY id LIMIT ?", limit);
    return json({ tools: rows, count: rows.length });
  });
  router.get("/occupations/:code/related", (request) => {
    const code = param(request, "code");
    const via = new URL(request.url).searchParams.get("via") ?? "tools";
    // "equipment" is O*NET's own word for its tools.
    if (via !== "tools" && via !== "equipment") return fail(400, "via must be tools (or equipment, the same)");
    // Occupations sharing the most tool commodities with this one.
    const rows = all(
      sql,
      `SELECT o.code, o.title, COUNT(DISTINCT t2.unspsc) AS shared FROM tools t1 JOIN tools t2 ON t2.unspsc = t1.unspsc AND t2.occupation != t1.occupation
       JOIN occupations o ON o.code = t2.occupation WHERE t1.occupation = ? GROUP BY o.code ORDER BY shared DESC, o.code LIMIT 10`,
      code,
    );
    return json({ occupation: code, via, related: rows });
  });
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
