import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { s as v, withBody } from "../input";
import { fail, json } from "../http";
import { changed, all, first, param, parseJson } from "../sql";

// Operator state on streaming.perf.do (contract §7): keyed state (a value per key with an optional
// TTL; listing by prefix with `X-Prefix`, `X-Limit`, `X-Offset`), window state (a running sum and
// count per key and window), and checkpoints of the keyed state: full, or incremental (only the
// keys changed since the previous checkpoint, tombstones included); restoring one replays the chain.
// An expired entry is invisible at once and removed by `ttl/cleanup`.

function migrateState(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS st_keyed (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER, version INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS st_changes (key TEXT PRIMARY KEY)");
  sql.exec("CREATE TABLE IF NOT EXISTS st_window (key TEXT NOT NULL, window TEXT NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL, PRIMARY KEY (key, window))");
  sql.exec("CREATE TABLE IF NOT EXISTS st_checkpoints (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, base TEXT, kind TEXT NOT NULL, entries TEXT NOT NULL, at INTEGER NOT NULL)");
}

type Entry = [string, unknown | null]; // null value: a tombstone

// A window is named by a string or a number (`"1m"`, 60000).
const WindowName = v.union(v.string(), v.number(), "a string or a number");
const UpdateBody = v.object({ key: v.string(), value: v.value(), ttl: v.optional(v.number({ positive: true })) });
const KeysBody = v.object({ keys: v.array(v.string()) });
const AggregateBody = v.object({ key: v.string(), window: WindowName, value: v.number() });
const ClearBody = v.object({ key: v.optional(v.string()), window: v.optional(WindowName) });
const RestoreBody = v.object({ checkpointId: v.string() });

function stateRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const live = (at = Date.now()) => `(expires_at IS NULL OR expires_at > ${Math.trunc(at)})`;
  const put = (key: string, value: unknown, ttl: number | null): void => {
    sql.exec(
      "INSERT INTO st_keyed (key, value, expires_at, version) VALUES (?, ?, ?, 1) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, version = st_keyed.version + 1",
      key, JSON.stringify(value ?? null), ttl === null ? null : Date.now() + ttl,
    );
    sql.exec("INSERT OR IGNORE INTO st_changes (key) VALUES (?)", key);
  };
  const get = (key: string) => first<{ value: string; version: number; expires_at: number | null }>(sql, `SELECT value, version, expires_at FROM st_keyed WHERE key = ? AND ${live()}`, key);
  const valueOf = (key: string): unknown => {
    const row = get(key);
    return row ? parseJson(row.value) : null;
  };

  router.post("/state/keyed/update", withBody(UpdateBody, ({ key, value, ttl }) => {
    ctx.transaction(() => put(key, value, ttl ?? null));
    return json({ key, version: get(key)?.version ?? 1 });
  }));
  router.post("/state/keyed/batch-get", withBody(KeysBody, ({ keys }) => json({ values: Object.fromEntries(keys.map((k) => [k, valueOf(k)])) })));
  router.get("/state/keyed/get/:key", (request) => {
    const row = get(param(request, "key"));
    return json(row ? { key: param(request, "key"), value: parseJson(row.value), version: row.version, found: true } : { key: param(request, "key"), value: null, found: false });
  });
  router.get("/state/keyed/list", (request) => {
    const prefix = request.headers.get("x-prefix") ?? "";
    const limit = Math.min(Math.max(Number(request.headers.get("x-limit") ?? 100) || 100, 1), 1000);
    const offset = Math.max(Number(request.headers.get("x-offset") ?? 0) || 0, 0);
    const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = all<{ key: string; value: string }>(sql, `SELECT key, value FROM st_keyed WHERE key LIKE ? ESCAPE '\\' AND ${live()} ORDER BY key LIMIT ? OFFSET ?`, like, limit, offset);
    const total = first<{ n: number }>(sql, `SELECT COUNT(*) AS n FROM st_keyed WHERE key LIKE ? ESCAPE '\\' AND ${live()}`, like)?.n ?? 0;
    return json({ entries: rows.map((r) => ({ key: r.key, value: parseJson(r.value) })), total, limit, offset });
  });
  router.delete("/state/keyed/delete/:key", (request) => {
    const key = param(request, "key");
    const deleted = ctx.transaction(() => {
      sql.exec("INSERT OR IGNORE INTO st_changes (key) VALUES (?)", key);
      return changed(sql, "DELETE FROM st_keyed WHERE key = ?", key);
    });
    return json({ key, deleted: deleted === 1 });
  });
  router.post("/state/ttl/cleanup", () => json({ removed: changed(sql, `DELETE FROM st_keyed WHERE NOT ${live()}`) }));

  // ---- window state --------------------------------------------------------------------------------
  router.post("/state/window/aggregate", withBody(AggregateBody, (body) => {
    const { value } = body;
    const w = String(body.window);
    sql.exec("INSERT INTO st_window (key, window, count, sum) VALUES (?, ?, 1, ?) ON CONFLICT(key, window) DO UPDATE SET count = count + 1, sum = sum + excluded.sum", body.key, w, value);
    const row = first<{ count: number; sum: number }>(sql, "SELECT count, sum FROM st_window WHERE key = ? AND window = ?", body.key, w);
    return json({ key: body.key, window: w, count: row?.count, sum: row?.sum, avg: row ? row.sum / row.count : null });
  }));
  router.get("/state/window/get/:k/:w", (request) => {
    const row = first<{ count: number; sum: number }>(sql, "SELECT count, sum FROM st_window WHERE key = ? AND window = ?", param(request, "k"), param(request, "w"));
    return json({ key: param(request, "k"), window: param(request, "w"), count: row?.count ?? 0, sum: row?.sum ?? 0, avg: row ? row.sum / row.count : null });
  });
  router.post("/state/window/clear", withBody(ClearBody, (body) => {
    const where = [body.key !== undefined ? "key = ?" : null, body.window !== undefined ? "window = ?" : null].filter(Boolean);
    const params = [body.key ?? null, body.window !== undefined ? String(body.window) : null].filter((p): p is string => p !== null);
    return json({ cleared: changed(sql, `DELETE FROM st_window${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`, ...params) });
  }));

  // ---- checkpoints ---------------------------------------------------------------------------------
  const snapshot = (keys?: string[]): Entry[] => {
    if (!keys) return all<{ key: string; value: string }>(sql, `SELECT key, value FROM st_keyed WHERE ${live()} ORDER BY key`).map((r) => [r.key, parseJson(r.value)]);
    return keys.map((k) => [k, valueOf(k)]);
  };
  const checkpoint = (kind: "full" | "incremental") =>
    ctx.transaction(() => {
      const last = first<{ id: string; seq: number }>(sql, "SELECT id, seq FROM st_checkpoints ORDER BY seq DESC LIMIT 1");
      const incremental = kind === "incremental" && last !== undefined;
      const entries = incremental ? snapshot(all<{ key: string }>(sql, "SELECT key FROM st_changes ORDER BY key").map((r) => r.key)) : snapshot();
      const id = crypto.randomUUID();
      sql.exec("INSERT INTO st_checkpoints (id, seq, base, kind, entries, at) VALUES (?, ?, ?, ?, ?, ?)", id, (last?.seq ?? 0) + 1, incremental ? last.id : null, incremental ? "incremental" : "full", JSON.stringify(entries), Date.now());
      sql.exec("DELETE FROM st_changes");
      return { checkpointId: id, kind: incremental ? "incremental" : "full", base: incremental ? last.id : undefined, entries: entries.length };
    });
  router.post("/state/checkpoint/create", () => json(checkpoint("full"), 201));
  router.post("/state/checkpoint/incremental", () => json(checkpoint("incremental"), 201));
  router.get("/state/checkpoint/list", () =>
    json({ checkpoints: all<{ id: string; seq: number; base: string | null; kind: string; at: number; entries: string }>(sql, "SELECT * FROM st_checkpoints ORDER BY seq").map((c) => ({ checkpointId: c.id, seq: c.seq, kind: c.kind, base: c.base ?? undefined, at: c.at, entries: (parseJson(c.entries) as Entry[]).length })) }),
  );
  router.post("/state/checkpoint/restore", withBody(RestoreBody, (body) => {
    // The chain back to the last full checkpoint, applied oldest first.
    const chain: Array<{ id: string; base: string | null; entries: string }> = [];
    let id: string | null = body.checkpointId;
    while (id) {
      const cp: { id: string; base: string | null; entries: string } | undefined = first(sql, "SELECT id, base, entries FROM st_checkpoints WHERE id = ?", id);
      if (!cp) return fail(404, `no checkpoint ${id}`);
      chain.unshift(cp);
      id = cp.base;
    }
    const keys = ctx.transaction(() => {
      sql.exec("DELETE FROM st_keyed");
      for (const cp of chain) for (const [k, v] of parseJson(cp.entries) as Entry[]) {
        if (v === null) sql.exec("DELETE FROM st_keyed WHERE key = ?", k);
        else put(k, v, null);
      }
      sql.exec("DELETE FROM st_changes");
      return first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM st_keyed")?.n ?? 0;
    });
    return json({ checkpointId: body.checkpointId, applied: chain.length, keys });
  }));
  router.post("/state/clear", () => json({ cleared: ctx.transaction(() => ["st_keyed", "st_changes", "st_window", "st_checkpoints"].reduce((n, t) => n + changed(sql, `DELETE FROM ${t}`), 0)) }));
}

export const state: Feature = {
  name: "state",
  serves: ["streaming"],
  schema: { migrations: [migrateState] },
  routes: stateRoutes,
};
