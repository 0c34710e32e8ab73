import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s, s as v, withBody, withInput, withQuery } from "../input";
import { fail, isObject, json } from "../http";
import { seedRecords as seedRecordsOf } from "../snapshot";
import { keyPasses, type Snapshot, type SnapshotFilter } from "../snapshot";
import { all, first, now, parseJson, type Row } from "../sql";
import { EVERY } from "../namespaces";

export { seedRecords, type Snapshot, type SnapshotFilter } from "../snapshot";

// Helpers every lifecycle namespace has (contract §3): key/value state, SQLite rows seeded by the
// tests, lifecycle events, status and counters. Also the snapshot export/import that fork, clone
// and move are built on.
//
// Local colo model: a local object cannot change colo for real, so its colo is recorded state
// (`LOCAL` until moved); `move` changes it and emits the events, and state survives as it would.

export const LOCAL_COLO = "LOCAL";

interface KvRow extends Row {
  key: string;
  value: string;
}

interface RecordRow extends Row {
  id: string;
  active: number;
  amount: number;
  data: string;
}

export function migrateLifecycle(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, active INTEGER NOT NULL, amount REAL NOT NULL, data TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS lifecycle_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, metadata TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
}

export function getMeta(sql: SqlStorage, key: string, fallback: string): string {
  return first<{ value: string }>(sql, "SELECT value FROM meta WHERE key = ?", key)?.value ?? fallback;
}

export function setMeta(sql: SqlStorage, key: string, value: string): void {
  sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
}

export function emit(sql: SqlStorage, type: string, metadata: Record<string, unknown> = {}): void {
  sql.exec("INSERT INTO lifecycle_events (type, metadata) VALUES (?, ?)", type, JSON.stringify({ timestamp: now(), ...metadata }));
}

export function exportSnapshot(sql: SqlStorage, filter: SnapshotFilter = {}): Snapshot {
  const table = (name: string): boolean => keyPasses(name, filter.tables?.include, filter.tables?.exclude) && (name === "state" || !filter.shallow);
  return {
    state: table("state")
      ? all<KvRow>(sql, "SELECT key, value FROM kv ORDER BY key").filter((r) => keyPasses(r.key, filter.include, filter.exclude)).map((r) => [r.key, parseJson(r.value)])
      : [],
    records: table("records") ? all<RecordRow>(sql, "SELECT * FROM records ORDER BY id").map((r) => ({ id: r.id, active: r.active === 1, amount: r.amount, data: parseJson(r.data) })) : [],
    counter: Number(getMeta(sql, "counter", "0")),
  };
}

export function importSnapshot(sql: SqlStorage, snapshot: Snapshot): void {
  for (const [key, value] of snapshot.state) {
    sql.exec("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, JSON.stringify(value));
  }
  insertRecords(sql, snapshot.records);
  setMeta(sql, "counter", String(snapshot.counter));
}

export function insertRecords(sql: SqlStorage, records: Snapshot["records"]): void {
  for (const r of records) {
    sql.exec(
      "INSERT INTO records (id, active, amount, data) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET active = excluded.active, amount = excluded.amount, data = excluded.data",
      r.id, r.active ? 1 : 0, r.amount, JSON.stringify(r.data ?? {}),
    );
  }
}

const StateItem = s.object({ key: s.string(), value: s.optional(s.value()) });
const StateBatch = s.object({ items: s.array(StateItem) });
const StatePost = s.object({ key: s.string(), value: s.optional(s.value()), data: s.optional(s.value()) });
const StateKey = s.object({ key: s.optional(s.string()) });
const Sql = s.object({ sql: s.string() });
const Subscribe = s.object({ events: s.optional(s.array(s.string())) });
const CounterBody = s.object({ by: s.optional(s.number()) });

export function lifecycleRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql, transaction, namespace } = ctx;
  router.put("/state/batch", withBody(StateBatch, ({ items }) => {
    transaction(() => importSnapshot(sql, { state: items.map((i) => [i.key, i.value ?? null]), records: [], counter: Number(getMeta(sql, "counter", "0")) }));
    return json({ written: items.length });
  }));
  router.put("/state", withBody(StateItem, (body) => {
    sql.exec("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", body.key, JSON.stringify(body.value ?? null));
    return json({ key: body.key, written: true });
  }));
  // POST /state {key, data} is PUT's other spelling (perf.do's cold-start suite fills objects so).
  router.post("/state", withBody(StatePost, (body) => {
    sql.exec("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", body.key, JSON.stringify(body.value ?? body.data ?? null));
    return json({ key: body.key, written: true }, 201);
  }));
  // Reads every stored value: the cost of a first query that touches all of an object's state.
  router.get("/state/stats", () => json({ ...sql.exec<{ keys: number; bytes: number }>("SELECT COUNT(*) AS keys, COALESCE(SUM(length(key) + length(value)), 0) AS bytes FROM kv").one(), databaseSize: sql.databaseSize }));
  const KeyQuery = { key: v.optional(q.string({ min: 1, max: 1024 })) };
  router.get("/state", withQuery({ key: q.string({ min: 1, max: 1024 }) }, ({ key }) => {
    const row = first<KvRow>(sql, "SELECT value FROM kv WHERE key = ?", key);
    return row ? json({ key, value: parseJson(row.value) }) : fail(404, `no state ${key} in ${namespace()}`);
  }));
  router.delete("/state", withInput({ body: StateKey, query: KeyQuery }, ({ body, query }) => {
    // In the body or the query: a rule of this route, not a shape.
    const key = body.key ?? query.key;
    if (!key) return fail(400, "DELETE /state: key (in the body or ?key=): required");
    return json({ key, deleted: sql.exec("DELETE FROM kv WHERE key = ?", key).rowsWritten > 0 });
  }));

  router.post("/db/exec", withBody(Sql, (body) => {
    try {
      const cursor = sql.exec(body.sql);
      cursor.toArray();
      return json({ rowsWritten: cursor.rowsWritten });
    } catch (err) {
      return fail(400, `sql: ${(err as Error).message}`);
    }
  }));
  router.post("/db/query", withBody(Sql, (body) => {
    try {
      return json({ rows: sql.exec(body.sql).toArray() });
    } catch (err) {
      return fail(400, `sql: ${(err as Error).message}`);
    }
  }));
  // `{records: <count or rows>}` or the rows alone: snapshot.ts's seedRecords reads either.
  const seed = withBody(s.value(), (body) => {
    const records = seedRecordsOf(isObject(body) ? body.records : body);
    if (typeof records === "string") return fail(400, records);
    transaction(() => insertRecords(sql, records));
    return json({ seeded: records.length, total: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM records")?.n ?? 0 });
  });
  router.post("/db/seed", seed);
  router.post("/seed", seed);
  router.post("/db/truncate", () => json({ truncated: sql.exec("DELETE FROM records").rowsWritten }));

  router.post("/events/subscribe", withBody(Subscribe, (body) => {
    const events = body.events ?? [];
    setMeta(sql, "subscriptions", JSON.stringify(events));
    return json({ subscribed: true, events });
  }));
  router.get("/events/recent", withQuery({ limit: v.withDefault(q.int({ min: 1, max: 500 }), 50) }, ({ limit }) => {
    const rows = all<{ type: string }>(sql, "SELECT type FROM lifecycle_events ORDER BY seq DESC LIMIT ?", limit);
    return json({ events: rows.map((r) => r.type).reverse() });
  }));
  router.get("/events/last", withQuery({ type: v.optional(q.string()) }, ({ type }) => {
    const row = first<{ type: string; metadata: string }>(sql, `SELECT type, metadata FROM lifecycle_events ${type ? "WHERE type = ?" : ""} ORDER BY seq DESC LIMIT 1`, ...(type ? [type] : []));
    return row ? json({ type: row.type, metadata: parseJson(row.metadata) }) : fail(404, `no ${type ?? ""} event yet`);
  }));

  router.get("/status", () => json({ namespace: namespace(), colo: getMeta(sql, "colo", LOCAL_COLO), status: getMeta(sql, "status", "active") }));

  const counter = (delta: number) => withBody(CounterBody, (body) => {
    const by = body.by ?? 1;
    const value = transaction(() => {
      const next = Number(getMeta(sql, "counter", "0")) + delta * by;
      setMeta(sql, "counter", String(next));
      return next;
    });
    return json({ value });
  });
  router.post("/counter/increment", counter(1));
  router.post("/counter/decrement", counter(-1));
  router.get("/counter", () => json({ value: Number(getMeta(sql, "counter", "0")) }));
}

export interface ImportRequest {
  snapshot: Snapshot;
  /** The namespace the snapshot came from (fork, clone, move, unshard), kept as `origin`. */
  origin: string;
  kind: string;
}

export const lifecycle: Feature = {
  name: "lifecycle",
  serves: [EVERY],
  schema: { migrations: [migrateLifecycle] },
  compact: (sql, keep) => ({
    lifecycleEvents: sql.exec("DELETE FROM lifecycle_events WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM lifecycle_events) - ?", keep.keepEvents).rowsWritten,
  }),
  routes: lifecycleRoutes,
  rpc: {
    /** Another object copies its state here (fork, clone, move, unshard). */
    import: (ctx, req: ImportRequest) => {
      ctx.transaction(() => {
        importSnapshot(ctx.sql, req.snapshot);
        setMeta(ctx.sql, "origin", req.origin);
      });
      return { imported: true };
    },
  },
};
