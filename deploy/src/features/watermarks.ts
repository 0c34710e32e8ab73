import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { s as v, withBody, type Infer } from "../input";
import { fail, json } from "../http";
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

const Update = v.object({ sourceId: v.string(), timestamp: v.number() });
const UpdatesBody = v.object({ updates: v.array(Update, { min: 1 }) });
const Check = v.object({ eventTime: v.number(), allowedLateness: v.optional(v.number({ min: 0 })), sourceId: v.optional(v.string()) });
// `allowedLateness` at the top applies to every event that does not give its own.
const ChecksBody = v.object({ events: v.array(Check, { min: 1 }), allowedLateness: v.optional(v.number({ min: 0 })) });

function watermarkRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const current = (): number | null => first<{ w: number | null }>(sql, "SELECT MIN(watermark) AS w FROM wm_sources")?.w ?? null;
  const of = (source: string): number | null => first<{ watermark: number }>(sql, "SELECT watermark FROM wm_sources WHERE source = ?", source)?.watermark ?? null;
  const advance = (u: Infer<typeof Update>): { sourceId: string; watermark: number; advanced: boolean } => {
    const ts = u.timestamp;
    const before = of(u.sourceId);
    // Monotonic: a watermark never moves back; an older timestamp is acknowledged and ignored.
    if (before !== null && ts <= before) return { sourceId: u.sourceId, watermark: before, advanced: false };
    sql.exec("INSERT INTO wm_sources (source, watermark, updated_at) VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at", u.sourceId, ts, Date.now());
    return { sourceId: u.sourceId, watermark: ts, advanced: true };
  };
  const lateness = (e: Infer<typeof Check>, allowedByDefault = 0): { eventTime: number; late: boolean; watermark: number | null; latenessMs: number } => {
    const { eventTime } = e;
    const allowed = e.allowedLateness ?? allowedByDefault;
    const watermark = e.sourceId !== undefined ? of(e.sourceId) : current();
    const behind = watermark === null ? 0 : watermark - eventTime;
    return { eventTime, late: watermark !== null && behind > allowed, watermark, latenessMs: Math.max(0, behind) };
  };

  router.post("/watermarks/advance/batch", withBody(UpdatesBody, ({ updates }) => {
    const results = ctx.transaction(() => updates.map(advance));
    return json({ results, watermark: current() });
  }));
  router.post("/watermarks/advance", withBody(Update, (body) => json({ ...advance(body), streamWatermark: current() })));
  router.post("/watermarks/check-late/batch", withBody(ChecksBody, ({ events, allowedLateness }) => {
    const results = events.map((e) => lateness(e, allowedLateness));
    return json({ results, late: results.filter((r) => r.late).length });
  }));
  router.post("/watermarks/check-late", withBody(Check, (body) => json(lateness(body))));
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
