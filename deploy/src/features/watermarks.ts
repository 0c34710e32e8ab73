import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { fail, isObject, json, readObject } from "../http";
import { changed, all, first, param } from "../sql";

// Watermarks on streaming.perf.do (contract §7): each source's watermark ("no event older than this
// is still coming") only moves forward; the stream's watermark is the minimum over sources. An
// event is late when its time is behind the watermark by more than the allowed lateness (default 0).
// `emit` records the stream watermark as emitted downstream; `align` brings every source up to the
// highest watermark, as a coordinator does after an idle source is declared caught up.

function migrateWatermarks(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS wm_sources (source TEXT PRIMARY KEY, watermark INTEGER NOT NULL, updated_at INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS wm_emitted (seq INTEGER PRIMARY KEY AUTOINCREMENT, watermark INTEGER NOT NULL, at INTEGER NOT NULL)");
}

function watermarkRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const current = (): number | null => first<{ w: number | null }>(sql, "SELECT MIN(watermark) AS w FROM wm_sources")?.w ?? null;
  const of = (source: string): number | null => first<{ watermark: number }>(sql, "SELECT watermark FROM wm_sources WHERE source = ?", source)?.watermark ?? null;
  const advance = (u: unknown): { sourceId: string; watermark: number; advanced: boolean } | string => {
    if (!isObject(u) || typeof u.sourceId !== "string" || !Number.isFinite(Number(u.timestamp))) return "an update needs {sourceId, timestamp}";
    const ts = Number(u.timestamp);
    const before = of(u.sourceId);
    // Monotonic: a watermark never moves back; an older timestamp is acknowledged and ignored.
    if (before !== null && ts <= before) return { sourceId: u.sourceId, watermark: before, advanced: false };
    sql.exec("INSERT INTO wm_sources (source, watermark, updated_at) VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at", u.sourceId, ts, Date.now());
    return { sourceId: u.sourceId, watermark: ts, advanced: true };
  };
  const lateness = (e: unknown): { eventTime: number; late: boolean; watermark: number | null; latenessMs: number } | string => {
    if (!isObject(e) || !Number.isFinite(Number(e.eventTime))) return "a check needs {eventTime, allowedLateness?, sourceId?}";
    const eventTime = Number(e.eventTime);
    const allowed = Math.max(0, Number(e.allowedLateness ?? 0) || 0);
    const watermark = typeof e.sourceId === "string" ? of(e.sourceId) : current();
    const behind = watermark === null ? 0 : watermark - eventTime;
    return { eventTime, late: watermark !== null && behind > allowed, watermark, latenessMs: Math.max(0, behind) };
  };

  router.post("/watermarks/advance/batch", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const updates = Array.isArray(body.updates) ? body.updates : [];
    if (updates.length === 0) return fail(400, "POST /watermarks/advance/batch needs {updates: [{sourceId, timestamp}]}");
    const results = ctx.transaction(() => updates.map(advance));
    const bad = results.find((r) => typeof r === "string");
    return bad ? fail(400, bad as string) : json({ results, watermark: current() });
  });
  router.post("/watermarks/advance", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const r = advance(body);
    return typeof r === "string" ? fail(400, r) : json({ ...r, streamWatermark: current() });
  });
  router.post("/watermarks/check-late/batch", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const events = Array.isArray(body.events) ? body.events : [];
    if (events.length === 0) return fail(400, "POST /watermarks/check-late/batch needs {events: [{eventTime, allowedLateness?}]}");
    const results = events.map((e) => lateness(isObject(e) && body.allowedLateness !== undefined && e.allowedLateness === undefined ? { ...e, allowedLateness: body.allowedLateness } : e));
    const bad = results.find((r) => typeof r === "string");
    return bad ? fail(400, bad as string) : json({ results, late: results.filter((r) => typeof r !== "string" && r.late).length });
  });
  router.post("/watermarks/check-late", async (request) => {
    const body = await readObject(request);
    if (body instanceof Response) return body;
    const r = lateness(body);
    return typeof r === "string" ? fail(400, r) : json(r);
  });
  router.post("/watermarks/align", () => {
    const max = first<{ w: number | null }>(sql, "SELECT MAX(watermark) AS w FROM wm_sources")?.w ?? null;
    if (max !== null) sql.exec("UPDATE wm_sources SET watermark = ?, updated_at = ?", max, Date.now());
    return json({ watermark: max, sources: first<{ n: number }>(sql, "SELECT COUNT(*) AS n FROM wm_sources")?.n ?? 0 });
  });
  router.post("/watermarks/emit", () => {
    const w = current();
    if (w === null) return json({ emitted: false, watermark: null });
    const last = first<{ watermark: number }>(sql, "SELECT watermark FROM wm_emitted ORDER BY seq DESC LIMIT 1")?.watermark;
    // Downstream sees each watermark once, in increasing order.
    if (last !== undefined && w <= last) return json({ emitted: false, watermark: w });
    sql.exec("INSERT INTO wm_emitted (watermark, at) VALUES (?, ?)", w, Date.now());
    return json({ emitted: true, watermark: w });
  });
  router.get("/watermarks/current", () => json({ watermark: current() }));
  router.get("/watermarks/min", () => json({ watermark: current() }));
  router.get("/watermarks/source/:id", (request) => {
    const w = of(param(request, "id"));
    return w === null ? fail(404, `no source ${param(request, "id")}`) : json({ sourceId: param(request, "id"), watermark: w });
  });
  router.get("/watermarks/all", () => json({ sources: Object.fromEntries(all<{ source: string; watermark: number }>(sql, "SELECT source, watermark FROM wm_sources ORDER BY source").map((r) => [r.source, r.watermark])), watermark: current() }));
  router.post("/watermarks/clear", () => json({ cleared: ctx.transaction(() => (sql.exec("DELETE FROM wm_emitted"), changed(sql, "DELETE FROM wm_sources"))) }));
}

export const watermarks: Feature = {
  name: "watermarks",
  serves: ["streaming"],
  schema: { migrations: [migrateWatermarks] },
  routes: watermarkRoutes,
};
