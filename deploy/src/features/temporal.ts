import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { changed, all, first, parseJson, type Row } from "../sql";

// temporal.perf.do (contract §6): every write is a version of a key at a timestamp (ms since the
// epoch; now when not given), never overwritten. A read "as of" T is the newest version at or
// before T; a range query lists the versions between two times. A snapshot names a point in time
// (versions are immutable, so it copies nothing); restoring one writes, at now, each key's value as
// of the snapshot, and a tombstone for keys that did not exist then, so history is kept.

interface VersionRow extends Row {
  key: string;
  ts: number;
  seq: number;
  value: string | null;
}

function migrateTemporal(sql: SqlStorage): void {
  // seq orders two writes of one key at the same timestamp (the later write wins).
  sql.exec("CREATE TABLE IF NOT EXISTS temporal_versions (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, ts INTEGER NOT NULL, value TEXT)");
  sql.exec("CREATE INDEX IF NOT EXISTS temporal_key_ts ON temporal_versions (key, ts, seq)");
  sql.exec("CREATE TABLE IF NOT EXISTS temporal_snapshots (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, at INTEGER NOT NULL, keys INTEGER NOT NULL)");
}

/**
 * v2: a snapshot also records the last version written before it. Two requests in one millisecond
 * (workerd's clock moves only between requests) made a write just after a snapshot look as if it
 * were in it: restore brought back the later value (seen once in 10 e2e/advanced runs).
 */
function migrateSnapshotSeq(sql: SqlStorage): void {
  sql.exec("ALTER TABLE temporal_snapshots ADD COLUMN seq INTEGER");
}

const Entry = v.object({ key: v.string(), value: v.value(), timestamp: v.optional(v.time()) });
const BatchBody = v.object({ entries: v.array(Entry, { min: 1 }) });
const GetBody = v.object({ key: v.string({ min: 1 }), timestamp: v.optional(v.time()) });
const QueryBody = v.object({ key: v.string(), startTime: v.optional(v.time()), endTime: v.optional(v.time()) });
const SnapshotBody = v.object({ name: v.optional(v.string()), description: v.optional(v.string()) });
const RestoreBody = v.object({ snapshotId: v.string() });

const view = (r: VersionRow) => ({ key: r.key, value: r.value === null ? null : parseJson(r.value), timestamp: r.ts, deleted: r.value === null || undefined });

/** The newest version of `key` at or before `at`, among those written up to `seq`. */
function asOf(sql: SqlStorage, key: string, at: number, seq = Number.MAX_SAFE_INTEGER): VersionRow | undefined {
  return first<VersionRow>(sql, "SELECT * FROM temporal_versions WHERE key = ? AND ts <= ? AND seq <= ? ORDER BY ts DESC, seq DESC LIMIT 1", key, at, seq);
}

function temporalRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  let putCount = 0;
  const write = (key: string, value: unknown, ts: number): void => {
    sql.exec("INSERT INTO temporal_versions (key, ts, value) VALUES (?, ?, ?)", key, ts, value === undefined ? null : JSON.stringify(value));
  };

  router.post("/temporal/put", withBody(Entry, (e) => {
    const ts = e.timestamp ?? Date.now();
    // Fault switch (local only): acknowledge every third write without keeping it.
    if (ctx.fault !== "temporal-drops-writes" || ++putCount % 3 !== 0) write(e.key, e.value, ts);
    return json({ key: e.key, timestamp: ts }, 201);
  }));
  router.post("/temporal/batch-put", withBody(BatchBody, ({ entries }) => {
    const now = Date.now();
    ctx.transaction(() => entries.forEach((e) => write(e.key, e.value, e.timestamp ?? now)));
    return json({ written: entries.length }, 201);
  }));

  const get = (key: string, at: number): Response => {
    const row = asOf(sql, key, at);
    // Not found as of then is an answer (found: false), not an error.
    return json(row && row.value !== null ? { ...view(row), found: true } : { key, value: null, found: false, timestamp: row?.ts });
  };
  router.post("/temporal/get", withBody(GetBody, ({ key, timestamp }) => get(key, timestamp ?? Number.MAX_SAFE_INTEGER)));
  const Key = { key: q.string({ min: 1, max: 1024 }) };
  router.get("/temporal/get", withQuery({ ...Key, timestamp: v.withDefault(v.time(), Number.MAX_SAFE_INTEGER) }, ({ key, timestamp }) => get(key, timestamp)));
  router.post("/temporal/query", withBody(QueryBody, ({ key, startTime = 0, endTime = Number.MAX_SAFE_INTEGER }) => {
    const rows = all<VersionRow>(sql, "SELECT * FROM temporal_versions WHERE key = ? AND ts >= ? AND ts <= ? ORDER BY ts, seq LIMIT 10000", key, startTime, endTime);
    return json({ key, startTime, endTime, versions: rows.map(view), count: rows.length });
  }));
  router.get("/temporal/history", withQuery(Key, ({ key }) => {
    const rows = all<VersionRow>(sql, "SELECT * FROM temporal_versions WHERE key = ? ORDER BY ts, seq LIMIT 10000", key);
    return json({ key, versions: rows.map(view), count: rows.length });
  }));

  const keysAt = (at: number): number =>
    first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM (SELECT key, value FROM temporal_versions v WHERE ts <= ? AND seq = (SELECT seq FROM temporal_versions w WHERE w.key = v.key AND w.ts <= ? ORDER BY ts DESC, seq DESC LIMIT 1)) WHERE value IS NOT NULL", at, at)?.n ?? 0;
  router.post("/temporal/snapshot", withBody(SnapshotBody, (body) => {
    const at = Date.now();
    const id = crypto.randomUUID();
    const name = body.name ?? `snapshot-${at}`;
    const keys = keysAt(at);
    const seq = first<{ s: number | null }>(sql, "SELECT MAX(seq) AS s FROM temporal_versions")?.s ?? 0;
    sql.exec("INSERT INTO temporal_snapshots (id, name, description, at, keys, seq) VALUES (?, ?, ?, ?, ?, ?)", id, name, body.description ?? null, at, keys, seq);
    return json({ id, snapshotId: id, name, timestamp: at, keyCount: keys }, 201);
  }));
  router.get("/temporal/snapshots", () =>
    json({ snapshots: all<{ id: string; name: string; description: string | null; at: number; keys: number }>(sql, "SELECT id, name, description, at, keys FROM temporal_snapshots ORDER BY at, id").map((s) => ({ id: s.id, name: s.name, description: s.description ?? undefined, timestamp: s.at, keyCount: s.keys })) }),
  );
  router.post("/temporal/restore", withBody(RestoreBody, ({ snapshotId }) => {
    const snap = first<{ id: string; at: number; seq: number | null }>(sql, "SELECT id, at, seq FROM temporal_snapshots WHERE id = ?", snapshotId);
    if (!snap) return fail(404, `no snapshot ${snapshotId}`);
    const restored = ctx.transaction(() => {
      // Later than anything written so far, so "now" reads the restored values even if clocks tie.
      const now = Math.max(Date.now(), (first<{ t: number | null }>(sql, "SELECT MAX(ts) AS t FROM temporal_versions")?.t ?? 0) + 1);
      let n = 0;
      for (const { key } of all<{ key: string }>(sql, "SELECT DISTINCT key FROM temporal_versions")) {
        // A snapshot from before v2 has no seq: it is judged by its time alone, as it was.
        const then = asOf(sql, key, snap.at, snap.seq ?? Number.MAX_SAFE_INTEGER);
        const current = asOf(sql, key, Number.MAX_SAFE_INTEGER);
        const thenValue = then?.value ?? null;
        if ((current?.value ?? null) === thenValue) continue;
        sql.exec("INSERT INTO temporal_versions (key, ts, value) VALUES (?, ?, ?)", key, now, thenValue);
        n++;
      }
      return n;
    });
    return json({ snapshotId: snap.id, restoredTo: snap.at, keysChanged: restored });
  }));
  router.get("/temporal/stats", () => {
    const n = (q: string) => first<{ n: number }>(sql, q)?.n ?? 0;
    return json({ keyCount: keysAt(Number.MAX_SAFE_INTEGER), versionCount: n("SELECT COUNT(*) AS n FROM temporal_versions"), snapshotCount: n("SELECT COUNT(*) AS n FROM temporal_snapshots") });
  });
  router.post("/temporal/clear", () => json({ cleared: ctx.transaction(() => (sql.exec("DELETE FROM temporal_snapshots"), changed(sql, "DELETE FROM temporal_versions"))) }));
}

export const temporal: Feature = {
  name: "temporal",
  serves: ["temporal"],
  schema: { migrations: [migrateTemporal, migrateSnapshotSeq] },
  routes: temporalRoutes,
};
