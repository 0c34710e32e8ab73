import type { RouterType } from "itty-router";
import { type Infer, limitQuery, q, s as v, withBody, withInput, withQuery } from "../input";
import { fail, isObject, json } from "../http";
import { param } from "../sql";
import type { Feature, FeatureContext } from "../feature";
import { historyOf as entityHistory } from "../entity-history";
import { UNCLAIMED } from "../namespaces";

// The things store of `stores.perf.do` (contract §5): versioned documents in the object's SQLite.
// Every write keeps the previous version so `?version=N` and `/versions` answer from real rows.

export interface Thing {
  $id: string;
  $type: string;
  name: string | null;
  data: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface ThingRow extends Record<string, SqlStorageValue> {
  id: string;
  type: string;
  name: string | null;
  data: string;
  version: number;
  created_at: string;
  updated_at: string;
}

const ORDER_COLUMNS: Record<string, string> = {
  createdAt: "created_at",
  updatedAt: "updated_at",
  name: "name",
  id: "id",
  $id: "id",
  version: "version",
};
const MAX_LIMIT = 1000;

export function migrateThings(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS things (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT, data TEXT NOT NULL,
    version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS thing_versions (
    id TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, name TEXT, data TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (id, version))`);
  sql.exec(`CREATE INDEX IF NOT EXISTS things_type ON things (type, created_at)`);
}

function toThing(row: ThingRow): Thing {
  return {
    $id: row.id,
    $type: row.type,
    name: row.name,
    data: JSON.parse(row.data) as unknown,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// `$type`/`$id` or, as the clients also send them, `type`/`id`.
const NewThing = v.object({
  $type: v.optional(v.string({ min: 1 })),
  type: v.optional(v.string({ min: 1 })),
  $id: v.optional(v.string({ min: 1 })),
  id: v.optional(v.string({ min: 1 })),
  name: v.optional(v.string()),
  data: v.optional(v.value()),
});
const NewThings = v.union(v.array(NewThing), v.object({ things: v.array(NewThing) }), "a JSON array of things, or {things: [...]}");
const Patch = v.object({ data: v.optional(v.value()), name: v.optional(v.string()) });

/** The thing to insert; a type under either name is needed (a rule across two fields). */
function parseNewThing(input: Infer<typeof NewThing>): { id: string; type: string; name: string | null; data: unknown } | string {
  const type = input.$type ?? input.type;
  if (type === undefined) return "a thing needs a string $type";
  return { id: input.$id ?? input.id ?? crypto.randomUUID(), type, name: input.name ?? null, data: input.data ?? {} };
}

function insertThing(sql: SqlStorage, thing: { id: string; type: string; name: string | null; data: unknown }): Thing | null {
  const now = new Date().toISOString();
  const data = JSON.stringify(thing.data);
  const existing = sql.exec("SELECT 1 FROM things WHERE id = ?", thing.id).toArray();
  if (existing.length > 0) return null;
  sql.exec(
    "INSERT INTO things (id, type, name, data, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
    thing.id, thing.type, thing.name, data, now, now,
  );
  sql.exec(
    "INSERT INTO thing_versions (id, version, type, name, data, updated_at) VALUES (?, 1, ?, ?, ?, ?)",
    thing.id, thing.type, thing.name, data, now,
  );
  return { $id: thing.id, $type: thing.type, name: thing.name, data: thing.data, version: 1, createdAt: now, updatedAt: now };
}

function getRow(sql: SqlStorage, id: string): ThingRow | undefined {
  return sql.exec<ThingRow>("SELECT * FROM things WHERE id = ?", id).toArray()[0];
}

/** The type and data of a thing, for promote; undefined if there is none. */
export function getThingData(sql: SqlStorage, id: string): { type: string; data: unknown } | undefined {
  const row = getRow(sql, id);
  return row ? { type: row.type, data: JSON.parse(row.data) as unknown } : undefined;
}

export function deleteThing(sql: SqlStorage, id: string): boolean {
  const gone = sql.exec("DELETE FROM things WHERE id = ?", id).rowsWritten > 0;
  sql.exec("DELETE FROM thing_versions WHERE id = ?", id);
  return gone;
}

/** Creates or replaces a thing (a demoted object coming back), keeping its version count going. */
export function putThing(sql: SqlStorage, thing: { id: string; type: string; name: string | null; data: unknown }): void {
  const last = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM thing_versions WHERE id = ?", thing.id).one().v ?? 0;
  const version = last + 1;
  const at = new Date().toISOString();
  const text = JSON.stringify(thing.data);
  sql.exec(
    "INSERT INTO things (id, type, name, data, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data, version = excluded.version, updated_at = excluded.updated_at",
    thing.id, thing.type, thing.name, text, version, at, at,
  );
  sql.exec("INSERT INTO thing_versions (id, version, type, name, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)", thing.id, version, thing.type, thing.name, text, at);
}

export function thingsRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction } = ctx;
  /** Lifecycle history of an entity (promote/demote), shown with the thing when it has any. */
  const historyOf = (id: string): unknown[] => entityHistory(sql, id);
  router.post("/things/batch", withBody(NewThings, (body) => {
    const items = Array.isArray(body) ? body : body.things;
    const parsed = items.map(parseNewThing);
    const bad = parsed.findIndex((p) => typeof p === "string");
    if (bad >= 0) return fail(400, `POST /things/batch: item ${bad}: ${parsed[bad] as string}`);
    const created = transaction(() => parsed.map((p) => insertThing(sql, p as Exclude<typeof p, string>)));
    const conflict = created.findIndex((t) => t === null);
    if (conflict >= 0) return fail(409, `item ${conflict}: a thing with that $id exists`);
    return json({ created: created.length, things: created }, 201);
  }));

  router.post("/things", withBody(NewThing, (body) => {
    const parsed = parseNewThing(body);
    if (typeof parsed === "string") return fail(400, `POST /things: ${parsed}`);
    const thing = insertThing(sql, parsed);
    return thing ? json(thing, 201) : fail(409, `thing ${parsed.id} exists`);
  }));

  const ListQuery = {
    ...limitQuery(100, MAX_LIMIT),
    offset: v.withDefault(q.int({ min: 0, max: Number.MAX_SAFE_INTEGER }), 0),
    orderBy: v.withDefault(q.oneOf(...(Object.keys(ORDER_COLUMNS) as [string, ...string[]])), "createdAt"),
    order: v.withDefault(q.oneOf("asc", "desc", "ASC", "DESC"), "asc"),
    type: v.optional(q.string()),
  };
  router.get("/things", withQuery(ListQuery, (query) => {
    const { limit, offset, type } = query;
    const orderBy = ORDER_COLUMNS[query.orderBy] as string;
    const order = query.order.toLowerCase() === "desc" ? "DESC" : "ASC";
    const where = type ? "WHERE type = ?" : "";
    const params: SqlStorageValue[] = type ? [type] : [];
    const rows = sql
      .exec<ThingRow>(`SELECT * FROM things ${where} ORDER BY ${orderBy} ${order}, id ASC LIMIT ? OFFSET ?`, ...params, limit, offset)
      .toArray();
    const total = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM things ${where}`, ...params).one().n;
    return json({ things: rows.map(toThing), total, limit, offset });
  }));

  router.get("/things/:id/versions", (request) => {
    const id = param(request, "id");
    if (!getRow(sql, id)) return fail(404, `thing ${id} not found`);
    const versions = sql
      .exec<ThingRow>("SELECT id, version, type, name, data, updated_at, updated_at AS created_at FROM thing_versions WHERE id = ? ORDER BY version", id)
      .toArray()
      .map((row) => ({ version: row.version, name: row.name, data: JSON.parse(row.data) as unknown, updatedAt: row.updated_at }));
    return json({ $id: id, versions });
  });

  router.get("/things/:id", withQuery({ version: v.optional(q.int({ min: 1, max: Number.MAX_SAFE_INTEGER })) }, ({ version }, request) => {
    const id = param(request, "id");
    const row = getRow(sql, id);
    if (!row) return fail(404, `thing ${id} not found`);
    if (version === undefined) {
      const history = historyOf(id);
      return json(history.length > 0 ? { ...toThing(row), history } : toThing(row));
    }
    const old = sql
      .exec<ThingRow>("SELECT * FROM thing_versions WHERE id = ? AND version = ?", id, version)
      .toArray()[0];
    if (!old) return fail(404, `thing ${id} has no version ${version}`);
    return json({ ...toThing({ ...old, created_at: row.created_at }), version });
  }));

  router.patch("/things/:id", withInput({ body: Patch, query: { merge: v.optional(q.bool()) } }, ({ body, query }, request) => {
    const id = param(request, "id");
    const merge = query.merge === true;
    return transaction(() => {
      const row = getRow(sql, id);
      if (!row) return fail(404, `thing ${id} not found`);
      const current = JSON.parse(row.data) as unknown;
      const patch = body.data;
      const data = patch === undefined ? current : merge && isObject(current) && isObject(patch) ? { ...current, ...patch } : patch;
      const name = body.name ?? row.name;
      const version = row.version + 1;
      const now = new Date().toISOString();
      const text = JSON.stringify(data);
      sql.exec("UPDATE things SET data = ?, name = ?, version = ?, updated_at = ? WHERE id = ?", text, name, version, now, id);
      sql.exec(
        "INSERT INTO thing_versions (id, version, type, name, data, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        id, version, row.type, name, text, now,
      );
      return json(toThing({ ...row, name, data: text, version, updated_at: now }));
    });
  }));

  router.delete("/things/:id", (request) => {
    const id = param(request, "id");
    const deleted = transaction(() => deleteThing(sql, id));
    return deleted ? json({ $id: id, deleted: true }) : fail(404, `thing ${id} not found`);
  });
}

export const things: Feature = {
  name: "things",
  serves: ["stores", UNCLAIMED],
  schema: { migrations: [migrateThings] },
  compact: (sql, keep) => ({
    thingVersions: sql.exec("DELETE FROM thing_versions WHERE version <= (SELECT MAX(v.version) FROM thing_versions v WHERE v.id = thing_versions.id) - ?", keep.keepVersions).rowsWritten,
  }),
  uses: ["promote"], // a thing shows its promote/demote history
  routes: thingsRoutes,
};
