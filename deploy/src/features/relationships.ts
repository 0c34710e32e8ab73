import type { RouterType } from "itty-router";
import { filterQuery, limitQuery, s, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, filters, now, param, parseJson, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";

// Relationships store (contract §5): directed, verb-labelled edges between things; the graph. and
// standards. namespaces seed and walk their graphs with the same routes.

interface RelRow extends Row {
  id: string;
  verb: string;
  src: string;
  dst: string;
  data: string;
  created_at: string;
}

export function migrateRelationships(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS relationships (id TEXT PRIMARY KEY, verb TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL)`);
  sql.exec("CREATE INDEX IF NOT EXISTS relationships_src ON relationships (src, verb)");
  sql.exec("CREATE INDEX IF NOT EXISTS relationships_dst ON relationships (dst, verb)");
}

const view = (r: RelRow) => ({ id: r.id, verb: r.verb, from: r.src, to: r.dst, data: parseJson(r.data), createdAt: r.created_at });

const NewRelationship = s.object({ verb: s.string(), from: s.string(), to: s.string(), data: s.optional(s.value()) });

export function relationshipRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/relationships", withBody(NewRelationship, (body) => {
    const rel: RelRow = { id: crypto.randomUUID(), verb: body.verb, src: body.from, dst: body.to, data: JSON.stringify(body.data ?? {}), created_at: now() };
    sql.exec("INSERT INTO relationships (id, verb, src, dst, data, created_at) VALUES (?, ?, ?, ?, ?, ?)", rel.id, rel.verb, rel.src, rel.dst, rel.data, rel.created_at);
    return json(view(rel), 201);
  }));
  const edges = (column: "src" | "dst") => withQuery({ ...filterQuery("verb"), ...limitQuery() }, ({ verb, limit }, request) => {
    const rows = all<RelRow>(sql, `SELECT * FROM relationships WHERE ${column} = ? ${verb ? "AND verb = ?" : ""} ORDER BY created_at LIMIT ?`, param(request, "id"), ...(verb ? [verb] : []), limit);
    return json(rows.map(view));
  });
  // `:id+`: an id may hold a slash, encoded (`Occupation%2F15-1252.00`) or not (`RandomNode/12`)
  router.get("/relationships/from/:id+", edges("src"));
  router.get("/relationships/to/:id+", edges("dst"));
  router.get("/relationships", withQuery({ ...filterQuery("verb", "from", "to"), ...limitQuery() }, (query) => {
    const { where, params } = filters(query, { verb: "verb", from: "src", to: "dst" });
    return json(all<RelRow>(sql, `SELECT * FROM relationships ${where} ORDER BY created_at LIMIT ?`, ...params, query.limit).map(view));
  }));
  router.delete("/relationships/:id", (request) => {
    const id = param(request, "id");
    return sql.exec("DELETE FROM relationships WHERE id = ?", id).rowsWritten > 0 ? json({ id, deleted: true }) : fail(404, `relationship ${id} not found`);
  });
}

export const relationships: Feature = {
  name: "relationships",
  serves: ["stores", "graph", "standards"],
  schema: { migrations: [migrateRelationships] },
  routes: relationshipRoutes,
};
