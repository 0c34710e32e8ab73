import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { type Infer, q, s as v, withBody, withQuery } from "../input";
import { fail, json } from "../http";
import { all, first, param, type Row } from "../sql";

// Windows on streaming.perf.do (contract §7): events {key, value, timestamp} grouped into
// tumbling windows (fixed, aligned to the epoch: [floor(t/size)·size, +size)), sliding windows
// (the last `windowSize` before a time, advancing by `slideInterval`) and session windows (events
// closer than `gapDuration` join one session). Event time is the event's `timestamp` (ms); "now" for
// a read is `X-Current-Time` when sent. A tumbling window fires once, when a trigger's time reaches
// its end; a session closes when its gap has passed.

interface Agg {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

interface TumblingRow extends Row, Agg {
  key: string;
  size_ms: number;
  start: number;
  fired: number;
}

interface SessionRow extends Row, Agg {
  id: number;
  key: string;
  start: number;
  last: number;
  gap_ms: number;
  closed: number;
}

function migrateWindows(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS win_tumbling (key TEXT NOT NULL, size_ms INTEGER NOT NULL, start INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL,
    min REAL, max REAL, fired INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (key, size_ms, start))`);
  sql.exec("CREATE TABLE IF NOT EXISTS win_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL)");
  sql.exec("CREATE INDEX IF NOT EXISTS win_events_key_ts ON win_events (key, ts)");
  sql.exec("CREATE TABLE IF NOT EXISTS win_sliding (key TEXT PRIMARY KEY, size_ms INTEGER NOT NULL, slide_ms INTEGER NOT NULL)");
  sql.exec(`CREATE TABLE IF NOT EXISTS win_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, start INTEGER NOT NULL, last INTEGER NOT NULL, gap_ms INTEGER NOT NULL,
    count INTEGER NOT NULL, sum REAL NOT NULL, min REAL, max REAL, closed INTEGER NOT NULL DEFAULT 0)`);
  sql.exec("CREATE INDEX IF NOT EXISTS win_sessions_key ON win_sessions (key, closed)");
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1m", "30s", "500ms", "2h" or a number of ms → ms; null when it is none of those. */
export function durationMs(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) && v > 0 ? v : null;
  const m = typeof v === "string" ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim()) : null;
  return m ? Number(m[1]) * (UNITS[m[2] as string] as number) : null;
}

const view = (a: Agg) => ({ count: a.count, sum: a.sum, avg: a.count === 0 ? null : a.sum / a.count, min: a.min, max: a.max });
/** "Now" for a read: the body's `timestamp` (or `currentTime`), else `X-Current-Time`, else the clock. */
const nowOf = (request: Request, body?: { timestamp?: number; currentTime?: number }): number => {
  const header = Number(request.headers.get("x-current-time"));
  const given = body?.timestamp ?? body?.currentTime;
  return given !== undefined && given > 0 ? given : Number.isFinite(header) && header > 0 ? header : Date.now();
};

const Duration = v.optional(v.parsed("a duration like 1m, 30s or 500ms", durationMs));
const Event = { key: v.string(), value: v.number(), timestamp: v.optional(v.number()) };
const EventBody = v.object(Event);
const SlidingBody = v.object({ ...Event, windowSize: Duration, slideInterval: Duration });
const SessionBody = v.object({ ...Event, gapDuration: Duration });
const TriggerBody = v.object({ key: v.optional(v.string()), timestamp: v.optional(v.number()), currentTime: v.optional(v.number()) });
const SlideBody = v.object({ key: v.string(), timestamp: v.optional(v.number()), currentTime: v.optional(v.number()) });
const AggregateBody = v.object({ key: v.string(), start: v.optional(v.number()), end: v.optional(v.number()) });
type Event = { key: string; value: number; ts: number };
const eventOf = (b: Infer<typeof EventBody>): Event => ({ key: b.key, value: b.value, ts: b.timestamp ?? Date.now() });

function windowRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const record = (e: Event): void => void sql.exec("INSERT INTO win_events (key, ts, value) VALUES (?, ?, ?)", e.key, e.ts, e.value);
  const aggregate = (key: string, from: number, to: number): Agg =>
    first<{ count: number; sum: number | null; min: number | null; max: number | null }>(sql, "SELECT COUNT(*) AS count, SUM(value) AS sum, MIN(value) AS min, MAX(value) AS max FROM win_events WHERE key = ? AND ts >= ? AND ts < ?", key, from, to) as Agg;

  // ---- tumbling ----------------------------------------------------------------------------------
  router.post("/windows/tumbling/:size/add", withBody(EventBody, (body, request) => {
    const size = durationMs(param(request, "size"));
    if (!size) return fail(400, "the window size must be a duration like 1m, 30s or 500ms");
    const e = eventOf(body);
    const start = Math.floor(e.ts / size) * size;
    ctx.transaction(() => {
      record(e);
      sql.exec(
        `INSERT INTO win_tumbling (key, size_ms, start, count, sum, min, max) VALUES (?, ?, ?, 1, ?, ?, ?)
         ON CONFLICT(key, size_ms, start) DO UPDATE SET count = count + 1, sum = sum + excluded.sum, min = MIN(min, excluded.min), max = MAX(max, excluded.max)`,
        e.key, size, start, e.value, e.value, e.value,
      );
    });
    return json({ key: e.key, windowStart: start, windowEnd: start + size }, 201);
  }));
  router.post("/windows/tumbling/:size/trigger", withBody(TriggerBody, (body, request) => {
    const size = durationMs(param(request, "size"));
    if (!size) return fail(400, "the window size must be a duration like 1m, 30s or 500ms");
    const at = nowOf(request, body);
    const key = body.key ?? null;
    const due = all<TumblingRow>(sql, `SELECT * FROM win_tumbling WHERE size_ms = ? AND fired = 0 AND start + size_ms <= ?${key ? " AND key = ?" : ""} ORDER BY start, key`, ...(key ? [size, at, key] : [size, at]));
    ctx.transaction(() => due.forEach((w) => sql.exec("UPDATE win_tumbling SET fired = 1 WHERE key = ? AND size_ms = ? AND start = ?", w.key, w.size_ms, w.start)));
    return json({ triggeredAt: at, fired: due.map((w) => ({ key: w.key, windowStart: w.start, windowEnd: w.start + w.size_ms, ...view(w) })) });
  }));
  router.get("/windows/tumbling/:size/:key", (request) => {
    const size = durationMs(param(request, "size"));
    if (!size) return fail(400, "the window size must be a duration like 1m, 30s or 500ms");
    const rows = all<TumblingRow>(sql, "SELECT * FROM win_tumbling WHERE key = ? AND size_ms = ? ORDER BY start", param(request, "key"), size);
    return json({ key: param(request, "key"), windows: rows.map((w) => ({ windowStart: w.start, windowEnd: w.start + w.size_ms, fired: w.fired === 1, ...view(w) })) });
  });

  // ---- sliding -----------------------------------------------------------------------------------
  router.post("/windows/sliding/add", withBody(SlidingBody, (body) => {
    const e = eventOf(body);
    const size = body.windowSize ?? 60_000; // 1m
    const slide = body.slideInterval ?? 10_000; // 10s
    ctx.transaction(() => {
      record(e);
      sql.exec("INSERT INTO win_sliding (key, size_ms, slide_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET size_ms = excluded.size_ms, slide_ms = excluded.slide_ms", e.key, size, slide);
    });
    return json({ key: e.key, windowSize: size, slideInterval: slide }, 201);
  }));
  /** The sliding window of `key` ending at the last slide boundary at or before `at`. */
  const sliding = (key: string, at: number) => {
    const cfg = first<{ size_ms: number; slide_ms: number }>(sql, "SELECT size_ms, slide_ms FROM win_sliding WHERE key = ?", key);
    if (!cfg) return null;
    const end = Math.floor(at / cfg.slide_ms) * cfg.slide_ms + cfg.slide_ms;
    return { key, windowStart: end - cfg.size_ms, windowEnd: end, ...view(aggregate(key, end - cfg.size_ms, Math.min(end, at + 1))) };
  };
  router.post("/windows/sliding/slide", withBody(SlideBody, (body, request) => {
    const w = sliding(body.key, nowOf(request, body));
    return w ? json(w) : fail(404, `no sliding window for ${body.key}`);
  }));
  router.get("/windows/sliding/:key", (request) => {
    const w = sliding(param(request, "key"), nowOf(request));
    return w ? json(w) : fail(404, `no sliding window for ${param(request, "key")}`);
  });

  // ---- session -----------------------------------------------------------------------------------
  router.post("/windows/session/add", withBody(SessionBody, (body) => {
    const e = eventOf(body);
    const gap = body.gapDuration ?? 30_000; // 30s
    const session = ctx.transaction(() => {
      record(e);
      const open = first<SessionRow>(sql, "SELECT * FROM win_sessions WHERE key = ? AND closed = 0 ORDER BY last DESC LIMIT 1", e.key);
      if (open && e.ts - open.last <= open.gap_ms && e.ts >= open.start - open.gap_ms) {
        sql.exec("UPDATE win_sessions SET start = MIN(start, ?), last = MAX(last, ?), count = count + 1, sum = sum + ?, min = MIN(min, ?), max = MAX(max, ?) WHERE id = ?", e.ts, e.ts, e.value, e.value, e.value, open.id);
        return { id: open.id, extended: true };
      }
      if (open) sql.exec("UPDATE win_sessions SET closed = 1 WHERE id = ?", open.id);
      const made = first<{ id: number }>(sql, "INSERT INTO win_sessions (key, start, last, gap_ms, count, sum, min, max) VALUES (?, ?, ?, ?, 1, ?, ?, ?) RETURNING id", e.key, e.ts, e.ts, gap, e.value, e.value, e.value);
      return { id: made?.id as number, extended: false };
    });
    return json({ key: e.key, sessionId: session.id, extended: session.extended }, 201);
  }));
  router.post("/windows/session/close", withBody(TriggerBody, (body, request) => {
    const at = nowOf(request, body);
    const key = body.key ?? null;
    const due = all<SessionRow>(sql, `SELECT * FROM win_sessions WHERE closed = 0 AND last + gap_ms <= ?${key ? " AND key = ?" : ""} ORDER BY start`, ...(key ? [at, key] : [at]));
    ctx.transaction(() => due.forEach((s) => sql.exec("UPDATE win_sessions SET closed = 1 WHERE id = ?", s.id)));
    return json({ closedAt: at, closed: due.map((s) => ({ key: s.key, sessionId: s.id, start: s.start, end: s.last + s.gap_ms, ...view(s) })) });
  }));
  router.get("/windows/session/count", withQuery({ key: v.optional(q.string({ max: 1024 })) }, ({ key }) => {
    const n = (closed: number) => first<{ n: number }>(sql, `SELECT COUNT(*) AS n FROM win_sessions WHERE closed = ?${key ? " AND key = ?" : ""}`, ...(key ? [closed, key] : [closed]))?.n ?? 0;
    const open = n(0);
    const closed = n(1);
    return json({ open, closed, total: open + closed });
  }));

  // ---- aggregates over raw events ----------------------------------------------------------------
  router.post("/windows/aggregate/:fn", withBody(AggregateBody, (body, request) => {
    const fn = param(request, "fn");
    if (!["sum", "count", "avg", "min", "max"].includes(fn)) return fail(400, "aggregate is sum, count, avg, min or max");
    const a = view(aggregate(body.key, body.start ?? 0, body.end ?? Number.MAX_SAFE_INTEGER));
    return json({ key: body.key, function: fn, result: a[fn as keyof typeof a], count: a.count });
  }));
}

export const windows: Feature = {
  name: "windows",
  serves: ["streaming"],
  schema: { migrations: [migrateWindows] },
  routes: windowRoutes,
};
