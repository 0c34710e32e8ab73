import type { RouterType } from "itty-router";
import type { Feature, FeatureContext } from "../feature";
import { q, s as v, withBody, withQuery, type Infer } from "../input";
import { fail, json, refuse } from "../http";
import { all, changed, first, parseJson } from "../sql";

// Timers on workflow.perf.do (contract §8), fired by the Durable Object's alarm: the object keeps
// one alarm at its earliest pending timer; when it rings, every timer due is fired (its callback
// recorded with the time it fired, so lateness is measurable) and the alarm moves to the next one.
// Cancelled timers never fire. `deadline-exceeded` lists pending timers already past their time
// (an alarm running late), `approaching` those due within `withinMs`.

interface TimerRow {
  id: string;
  fires_at: number;
  status: string;
  callback: string;
  workflow_id: string | null;
  created_at: number;
  fired_at: number | null;
  [k: string]: SqlStorageValue;
}

function migrateTimers(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS timers (id TEXT PRIMARY KEY, fires_at INTEGER NOT NULL, status TEXT NOT NULL, callback TEXT NOT NULL, workflow_id TEXT,
    created_at INTEGER NOT NULL, fired_at INTEGER)`);
  sql.exec("CREATE INDEX IF NOT EXISTS timers_pending ON timers (status, fires_at)");
}

const view = (t: TimerRow, at = Date.now()) => ({
  timerId: t.id,
  status: t.status,
  firesAt: t.fires_at,
  firedAt: t.fired_at ?? undefined,
  remainingMs: t.status === "pending" ? Math.max(0, t.fires_at - at) : 0,
  latenessMs: t.fired_at === null ? undefined : t.fired_at - t.fires_at,
  callback: parseJson(t.callback),
  workflowId: t.workflow_id ?? undefined,
});

/** Fires every pending timer due by `at`; returns the next pending time, or null. */
function fireDue(ctx: FeatureContext, at = Date.now()): number | null {
  const { sql } = ctx;
  // Fault switch (local only): the alarm fires nothing, as if timers were never scheduled.
  if (ctx.fault === "timers-never-fire") return null;
  sql.exec("UPDATE timers SET status = 'fired', fired_at = ? WHERE status = 'pending' AND fires_at <= ?", at, at);
  return first<{ t: number | null }>(sql, "SELECT MIN(fires_at) AS t FROM timers WHERE status = 'pending'")?.t ?? null;
}

// A timer fires at `deadline` (a time), or `durationMs` from now: one of the two.
const Timer = v.object({ id: v.optional(v.string()), durationMs: v.optional(v.number({ min: 0 })), deadline: v.optional(v.time()), callback: v.optional(v.value()), workflowId: v.optional(v.string()) });
const BatchBody = v.object({ timers: v.array(Timer, { min: 1, max: 1000 }) });
const IdsBody = v.object({ timerIds: v.array(v.string()) });
const CancelBody = v.object({ timerId: v.optional(v.string()), id: v.optional(v.string()) });
const NO_TIME = "a timer needs durationMs or deadline";

function timerRoutes(router: RouterType, ctx: FeatureContext): void {
  const { sql } = ctx;
  const create = (t: Infer<typeof Timer>, firesAt: number, now: number): TimerRow => {
    const row: TimerRow = { id: t.id ?? crypto.randomUUID(), fires_at: Math.trunc(firesAt), status: "pending", callback: JSON.stringify(t.callback ?? null), workflow_id: t.workflowId ?? null, created_at: now, fired_at: null };
    sql.exec("INSERT OR REPLACE INTO timers (id, fires_at, status, callback, workflow_id, created_at, fired_at) VALUES (?, ?, 'pending', ?, ?, ?, NULL)", row.id, row.fires_at, row.callback, row.workflow_id, now);
    return row;
  };
  const schedule = async (): Promise<void> => {
    const next = first<{ t: number | null }>(sql, "SELECT MIN(fires_at) AS t FROM timers WHERE status = 'pending'")?.t;
    if (next !== null && next !== undefined) await ctx.setAlarm(next);
  };

  const firesAt = (t: Infer<typeof Timer>, now: number): number | undefined => t.deadline ?? (t.durationMs === undefined ? undefined : now + t.durationMs);
  router.post("/timers/create-batch", withBody(BatchBody, async ({ timers: items }) => {
    const now = Date.now();
    const at = items.map((t) => firesAt(t, now));
    const missing = at.indexOf(undefined);
    if (missing >= 0) return fail(400, `POST /timers/create-batch: timers[${missing}]: ${NO_TIME}`);
    const rows = ctx.transaction(() => items.map((t, i) => create(t, at[i] as number, now)));
    await schedule();
    return json({ created: rows.length, timers: rows.map((r) => ({ timerId: r.id, firesAt: r.fires_at })) }, 201);
  }));
  router.post("/timers/create", withBody(Timer, async (body) => {
    const now = Date.now();
    const at = firesAt(body, now);
    if (at === undefined) return fail(400, `POST /timers/create: ${NO_TIME}`);
    const row = create(body, at, now);
    await schedule();
    return json({ timerId: row.id, firesAt: row.fires_at }, 201);
  }));
  const cancel = (ids: string[]): number => ctx.transaction(() => ids.reduce((n, id) => n + changed(sql, "UPDATE timers SET status = 'cancelled' WHERE id = ? AND status = 'pending'", id), 0));
  router.post("/timers/cancel-batch", withBody(IdsBody, ({ timerIds }) => json({ cancelled: cancel(timerIds), requested: timerIds.length })));
  router.post("/timers/cancel", withBody(CancelBody, (body) => {
    const id = body.timerId ?? body.id ?? "";
    const n = cancel([id]);
    const row = first<TimerRow>(sql, "SELECT * FROM timers WHERE id = ?", id);
    if (!row) return fail(404, `no timer ${id}`);
    return json({ timerId: id, cancelled: n === 1, status: row.status });
  }));
  router.post("/timers/clear", () => json({ cleared: changed(sql, "DELETE FROM timers") }));

  const ById = { timerId: v.withDefault(q.string(), "") };
  const byId = (id: string): TimerRow => first<TimerRow>(sql, "SELECT * FROM timers WHERE id = ?", id) ?? refuse(404, `no timer ${id}`);
  router.get("/timers/status", withQuery(ById, ({ timerId }) => json(view(byId(timerId)))));
  router.get("/timers/remaining", withQuery(ById, ({ timerId }) => {
    const t = byId(timerId);
    return json({ timerId: t.id, status: t.status, remainingMs: view(t).remainingMs });
  }));
  const list = (where: string, ...params: SqlStorageValue[]) => all<TimerRow>(sql, `SELECT * FROM timers WHERE ${where} ORDER BY fires_at, id LIMIT 10000`, ...params).map((t) => view(t));
  const ByWorkflow = { workflowId: v.optional(q.string()) };
  const workflowFilter = (wf: string | undefined): [string, SqlStorageValue[]] => (wf ? [" AND workflow_id = ?", [wf]] : ["", []]);
  router.get("/timers/fired", withQuery(ByWorkflow, ({ workflowId }) => {
    const [w, p] = workflowFilter(workflowId);
    const timers = list(`status = 'fired'${w}`, ...p);
    return json({ timers, count: timers.length });
  }));
  router.get("/timers/list", withQuery(ByWorkflow, ({ workflowId }) => {
    const [w, p] = workflowFilter(workflowId);
    const timers = list(`status = 'pending'${w}`, ...p);
    return json({ timers, count: timers.length });
  }));
  router.get("/timers/deadline-exceeded", () => {
    const timers = list("status = 'pending' AND fires_at < ?", Date.now());
    return json({ timers, count: timers.length });
  });
  router.get("/timers/approaching", withQuery({ withinMs: v.withDefault(q.int({ min: 0, max: 365 * 86_400_000 }), 60_000) }, ({ withinMs: within }) => {
    const now = Date.now();
    const timers = list("status = 'pending' AND fires_at >= ? AND fires_at <= ?", now, now + within);
    return json({ timers, count: timers.length, withinMs: within });
  }));
  router.get("/timers/stats", () => {
    const rows = all<{ status: string; n: number }>(sql, "SELECT status, COUNT(*) AS n FROM timers GROUP BY status");
    return json(Object.fromEntries(rows.map((r) => [r.status, r.n])));
  });
}

export const timers: Feature = {
  name: "timers",
  serves: ["workflow"],
  schema: { migrations: [migrateTimers] },
  routes: timerRoutes,
  alarm: async (ctx) => fireDue(ctx),
};
