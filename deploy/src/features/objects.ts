import type { RouterType } from "itty-router";
import { filterQuery, limitQuery, s, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, filters, first, now, param, type Row } from "../sql";
import type { Feature, FeatureContext } from "../feature";
import { UNCLAIMED } from "../namespaces";

// Objects registry (contract §5): which Durable Object lives where (class, region, colo, shard).
// `resolve` answers how a source object reaches a destination: directly, or through the shard or
// region they share.

interface ObjectRow extends Row {
  ns: string;
  id: string;
  class: string;
  region: string;
  relation: string | null;
  shard_key: string | null;
  shard_index: number | null;
  colo: string | null;
  is_primary: number;
  created_at: string;
  updated_at: string;
}

export function migrateObjects(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS objects (ns TEXT PRIMARY KEY, id TEXT NOT NULL, class TEXT NOT NULL, region TEXT NOT NULL, relation TEXT,
    shard_key TEXT, shard_index INTEGER, colo TEXT, is_primary INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  sql.exec("CREATE INDEX IF NOT EXISTS objects_shard ON objects (shard_key, shard_index)");
}

const view = (r: ObjectRow) => ({
  ns: r.ns, id: r.id, class: r.class, region: r.region, relation: r.relation ?? undefined, shardKey: r.shard_key ?? undefined,
  shardIndex: r.shard_index ?? undefined, colo: r.colo ?? undefined, primary: r.is_primary === 1, createdAt: r.created_at, updatedAt: r.updated_at,
});

const Registration = s.object({
  ns: s.string(), id: s.optional(s.string()), class: s.string(), region: s.string(), relation: s.optional(s.string()),
  shardKey: s.optional(s.string()), shardIndex: s.optional(s.number({ integer: true, min: 0 })), colo: s.optional(s.string()), primary: s.optional(s.boolean()),
});

export function objectRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  router.post("/objects", withBody(Registration, (body) => {
    if (first(sql, "SELECT 1 AS x FROM objects WHERE ns = ?", body.ns)) return fail(409, `object ${body.ns} is registered`);
    const at = now();
    const row = first<ObjectRow>(
      sql,
      "INSERT INTO objects (ns, id, class, region, relation, shard_key, shard_index, colo, is_primary, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
      body.ns, body.id ?? body.ns, body.class, body.region, body.relation ?? null,
      body.shardKey ?? null, body.shardIndex ?? null,
      body.colo ?? null, body.primary === false ? 0 : 1, at, at,
    );
    return json(view(row as ObjectRow), 201);
  }));
  router.get("/objects/shards/:shardKey", (request) => {
    const rows = all<ObjectRow>(sql, "SELECT * FROM objects WHERE shard_key = ? ORDER BY shard_index, ns", param(request, "shardKey"));
    return json({ shardKey: param(request, "shardKey"), shards: rows.map(view) });
  });
  router.get("/objects/:src/resolve/:dst", (request) => {
    const src = first<ObjectRow>(sql, "SELECT * FROM objects WHERE ns = ?", param(request, "src"));
    const dst = first<ObjectRow>(sql, "SELECT * FROM objects WHERE ns = ?", param(request, "dst"));
    if (!src || !dst) return fail(404, `object ${!src ? param(request, "src") : param(request, "dst")} not found`);
    const via = src.shard_key !== null && src.shard_key === dst.shard_key ? "shard" : src.region === dst.region ? "region" : "direct";
    return json({ source: view(src), target: view(dst), via, sameColo: src.colo !== null && src.colo === dst.colo });
  });
  router.get("/objects/:ns", (request) => {
    const row = first<ObjectRow>(sql, "SELECT * FROM objects WHERE ns = ?", param(request, "ns"));
    return row ? json(view(row)) : fail(404, `object ${param(request, "ns")} not found`);
  });
  router.get("/objects", withQuery({ ...filterQuery("class", "region", "colo"), ...limitQuery() }, (query) => {
    const { where, params } = filters(query, { class: "class", region: "region", colo: "colo" });
    return json(all<ObjectRow>(sql, `SELECT * FROM objects ${where} ORDER BY ns LIMIT ?`, ...params, query.limit).map(view));
  }));
  router.patch("/objects/:ns", withBody(s.object({ colo: s.string() }), (body, request) => {
    const row = first<ObjectRow>(sql, "UPDATE objects SET colo = ?, updated_at = ? WHERE ns = ? RETURNING *", body.colo, now(), param(request, "ns"));
    return row ? json(view(row)) : fail(404, `object ${param(request, "ns")} not found`);
  }));
  router.delete("/objects/:ns", (request) => {
    const ns = param(request, "ns");
    return sql.exec("DELETE FROM objects WHERE ns = ?", ns).rowsWritten > 0 ? json({ ns, deleted: true }) : fail(404, `object ${ns} not found`);
  });
}

export const objects: Feature = {
  name: "objects",
  serves: ["stores", UNCLAIMED],
  schema: { migrations: [migrateObjects] },
  routes: objectRoutes,
};
