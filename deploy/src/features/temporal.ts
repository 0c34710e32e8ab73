import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { fail, isObject, json, readObject } from "../http";
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

const timeOf = (v: unknown, fallback: number): number | null => {
  if (v === undefined || v === null) return fallback;
  const n = typeof v === "string" && !/^\d+$/.test(v) ? Date.parse(v) : Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : null;
};

const view = (r: VersionRow) => ({ key: r.key, value: r.value === null ? null : parseJson(r.value), timestamp: r.ts, deleted: r.value === null || undefined });

function asOf(sql: SqlStorage, key: string, at: number): VersionRow | undefined {
  return first<VersionRow>(sql, "SELECT * FROM temporal_versions WHERE key = ? AND ts <= ? ORDER BY ts DESC, seq DESC LIMIT 1", key, at);
}

function temporalRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  let putCount = 0;
  const write = (key: string, value: unknown, ts: number): void => {
    sql.exec("INSERT INTO temporal_versions (key, ts, value) VALUES (?, ?, ?)", key, ts, value === undefined ? null : JSON.stringify(value));
  };
  const entryOf = (e: unknown, now: number): { key: string; value: unknown; ts: number } | string => {
    if (!isObject(e) || typeof e.key !== "string" || !("value" in e)) return "an entry needs {key, value, timestamp?}";
    const ts = timeOf(e.timestamp, now);
    return ts === null ? `timestamp ${String(e.timestamp)} is not a time` : { key: e.key, value: e.value, ts };
  };

  router.post("/temporal/put", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const e = entryOf(body, Date.now());
    if (typeof e === "string") return fail(400, `POST /temporal/put: ${e}`);
    // Fault switch (local only): acknowledge every third write without keeping it.
    if (ctx.fault !== "temporal-drops-writes" || ++putCount % 3 !== 0) write(e.key, e.value, e.ts);
    return json({ key: e.key, timestamp: e.ts }, 201);
  });
  router.post("/temporal/batch-put", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const now = Date.now();
    const entries = Array.isArray(body.entries) ? body.entries.map((e) => entryOf(e, now)) : [];
    const bad = entries.find((e) => typeof e === "string");
    if (entries.length === 0 || bad) return fail(400, `POST /temporal/batch-put needs {entries: [{key, value, timestamp?}]}${bad ? `: ${bad}` : ""}`);
    ctx.transaction(() => entries.forEach((e) => typeof e !== "string" && write(e.key, e.value, e.ts)));
    return json({ written: entries.length }, 201);
  });

  const get = (key: string | null, atText: unknown): Response => {
    if (!key) return fail(400, "get needs a key");
    const at = timeOf(atText, Number.MAX_SAFE_INTEGER);
    if (at === null) return fail(400, `timestamp ${String(atText)} is not a time`);
    const row = asOf(sql, key, at);
    // Not found as of then is an answer (found: false), not an error.
    return json(row && row.value !== null ? { ...view(row), found: true } : { key, value: null, found: false, timestamp: row?.ts });
  };
  router.post("/temporal/get", async (request) => {
    const body = await readObject(request);
    return body instanceof Response ? body : get(typeof body.key === "string" ? body.key : null, body.timestamp);
  });
  router.get("/temporal/get", (request) => {
    const q = new URL(request.url).searchParams;
    return get(q.get("key"), q.get("timestamp") ?? undefined);
  });
  router.post("/temporal/query", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    if (typeof body.key !== "string") return fail(400, "POST /temporal/query needs {key, startTime?, endTime?}");
    const start = timeOf(body.startTime, 0);
    const end = timeOf(body.endTime, Number.MAX_SAFE_INTEGER);
    if (start === null || end === null) return fail(400, "startTime and endTime must be times");
    const rows = all<VersionRow>(sql, "SELECT * FROM temporal_versions WHERE key = ? AND ts >= ? AND ts <= ? ORDER BY ts, seq LIMIT 10000", body.key, start, end);
    return json({ key: body.key, startTime: start, endTime: end, versions: rows.map(view), count: rows.length });
  });
  router.get("/temporal/history", (request) => {
    const key = new URL(request.url).searchParams.get("key");
    if (!key) return fail(400, "GET /temporal/history needs ?key=");
    const rows = all<VersionRow>(sql, "SELECT * FROM temporal_versions WHERE key = ? ORDER BY ts, seq LIMIT 10000", key);
    return json({ key, versions: rows.map(view), count: rows.length });
  });

  const keysAt = (at: number): number =>
    first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM (SELECT key, value FROM temporal_versions v WHERE ts <= ? AND seq = (SELECT seq FROM temporal_versions w WHERE w.key = v.key AND w.ts <= ? ORDER BY ts DESC, seq DESC LIMIT 1)) WHERE value IS NOT NULL", at, at)?.n ?? 0;
  router.post("/temporal/snapshot", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const at = Date.now();
    const id = crypto.randomUUID();
    const name = typeof body.name === "string" ? body.name : `snapshot-${at}`;
    const keys = keysAt(at);
    sql.exec("INSERT INTO temporal_snapshots (id, name, description, at, keys) VALUES (?, ?, ?, ?, ?)", id, name, typeof body.description === "string" ? body.description : null, at, keys);
    return json({ id, snapshotId: id, name, timestamp: at, keyCount: keys }, 201);
  });
  router.get("/temporal/snapshots", () =>
    json({ snapshots: all<{ id: string; name: string; description: string | null; at: number; keys: number }>(sql, "SELECT * FROM temporal_snapshots ORDER BY at, id").map((s) => ({ id: s.id, name: s.name, description: s.description ?? undefined, timestamp: s.at, keyCount: s.keys })) }),
  );
  router.post("/temporal/restore", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const snap = first<{ id: string; at: number }>(sql, "SELECT id, at FROM temporal_snapshots WHERE id = ?", String(body.snapshotId ?? ""));
    if (!snap) return fail(404, `no snapshot ${String(body.snapshotId)}`);
    const restored = ctx.transaction(() => {
      // Later than anything written so far, so "now" reads the restored values even if clocks tie.
      const now = Math.max(Date.now(), (first<{ t: number | null }>(sql, "SELECT MAX(ts) AS t FROM temporal_versions")?.t ?? 0) + 1);
      let n = 0;
      for (const { key } of all<{ key: string }>(sql, "SELECT DISTINCT key FROM temporal_versions")) {
        const then = asOf(sql, key, snap.at);
        const current = asOf(sql, key, Number.MAX_SAFE_INTEGER);
        const thenValue = then?.value ?? null;
        if ((current?.value ?? null) === thenValue) continue;
        sql.exec("INSERT INTO temporal_versions (key, ts, value) VALUES (?, ?, ?)", key, now, thenValue);
        n++;
      }
      return n;
    });
    return json({ snapshotId: snap.id, restoredTo: snap.at, keysChanged: restored });
  });
  router.get("/temporal/stats", () => {
    const n = (q: string) => first<{ n: number }>(sql, q)?.n ?? 0;
    return json({ keyCount: keysAt(Number.MAX_SAFE_INTEGER), versionCount: n("SELECT COUNT(*) AS n FROM temporal_versions"), snapshotCount: n("SELECT COUNT(*) AS n FROM temporal_snapshots") });
  });
  router.post("/temporal/clear", () => json({ cleared: ctx.transaction(() => (sql.exec("DELETE FROM temporal_snapshots"), changed(sql, "DELETE FROM temporal_versions"))) }));
}

export const temporal: Feature = {
  name: "temporal",
  schema: { migrations: [migrateTemporal] },
  routes: temporalRoutes,
};
